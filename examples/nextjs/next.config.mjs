/** @type {import('next').NextConfig} */
export default {
  // Loaded by Node.js at run time, not bundled.
  serverExternalPackages: ['ioredis', 'prom-client'],
  poweredByHeader: false,
};
