export declare const PATHOLOGICAL_PREFIX: string;
export declare const PATHOLOGICAL_SECRET: string;
export declare const NODE_MAX_HEADER_BYTES: number;
export declare const BODY_LIMIT: number;
/** One hostile request and the status it must be answered with. */
export interface PathologicalRequest {
  label: string;
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
}
export declare function pathologicalRequests(apiKey: string): PathologicalRequest[];
