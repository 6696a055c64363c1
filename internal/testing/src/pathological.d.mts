export declare const PATHOLOGICAL_PREFIX: string;
export declare const PATHOLOGICAL_SECRET: string;
export declare const NODE_MAX_HEADER_BYTES: number;
export declare const BODY_LIMIT: number;
export declare function pathologicalRequests(apiKey: string): {
  label: string;
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
}[];
