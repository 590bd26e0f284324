// @fastify/rate-limit ships its in-memory store without a declaration; src/http/rateLimitStore.ts wraps it.
declare module '@fastify/rate-limit/store/LocalStore.js' {
  const LocalStore: unknown;
  export default LocalStore;
}
