/**
 * An OpenID Connect provider the tests run themselves (Keycloak-style endpoints, on 127.0.0.1): discovery,
 * JWKS, an authorization endpoint that signs the given subject in at once, and a token endpoint that checks
 * the client, the code, the redirect URI and the PKCE verifier before it answers with an ID token. Its tokens
 * are real RS256 (or ES256) JWTs signed with a key only the provider holds; Doudi verifies them through the
 * published JWKS like any provider's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the authorization endpoint signs in next. */
  nextSubject: { sub: string; preferred_username?: string };
  /** A token signed by this provider's key, with any claims (defaults: iss, sub, iat, exp 5 min). */
  sign(claims: Record<string, unknown>, options?: { alg?: 'RS256' | 'ES256'; key?: 'own' | 'foreign' }): Promise<string>;
  /** How many codes the token endpoint has exchanged. */
  exchanged: number;
  close(): Promise<void>;
}

export async function startTestProvider(): Promise<TestProvider> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('RS256'); // a key the JWKS does not publish
  const jwks: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const codes = new Map<string, { sub: Record<string, unknown>; nonce: string; challenge: string; redirectUri: string }>();

  let issuer = '';
  const provider: TestProvider = {
    issuer: '',
    clientId: 'doudi-console',
    clientSecret: `secret-${randomBytes(8).toString('hex')}`,
    nextSubject: { sub: 'nobody' },
    exchanged: 0,
    async sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const key: CryptoKey = options.key === 'foreign' ? foreign.privateKey : alg === 'ES256' ? ec.privateKey : rsa.privateKey;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg, kid: options.key === 'foreign' ? 'rsa-1' : alg === 'ES256' ? 'ec-1' : 'rsa-1' })
        .sign(key);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps sockets alive; do not wait for them to time out
      }),
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: jwks });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== provider.clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256') {
        return json(400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('hex');
      codes.set(code, { sub: { ...provider.nextSubject }, nonce: q.get('nonce')!, challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const basic = Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64');
      if (req.headers.authorization !== `Basic ${basic}`) return json(401, { error: 'invalid_client' });
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!grant || form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== grant.redirectUri) return json(400, { error: 'invalid_grant' });
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (challenge !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE' });
      provider.exchanged++;
      const idToken = await provider.sign({ ...grant.sub, aud: provider.clientId, nonce: grant.nonce });
      return json(200, { access_token: 'opaque', token_type: 'Bearer', id_token: idToken, expires_in: 300 });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  issuer = `http://127.0.0.1:${port}/realms/henan`;
  provider.issuer = issuer;
  // The realm path prefix: route it like Keycloak does.
  const handler = server.listeners('request')[0] as (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/realms/henan')) req.url = req.url.slice('/realms/henan'.length) || '/';
    handler(req, res);
  });
  return provider;
}
