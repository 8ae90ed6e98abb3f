// Verifies Lianqi's tokens with a second, independent JWT implementation
// (jose), and has jose mint tokens the server must accept or refuse.
// server/jose_test.go starts the server and passes everything in the
// environment; run it with `go test ./server -run TestJose`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, SignJWT, importJWK, generateKeyPair } from 'jose';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./server -run TestJose`);
  return v;
};
const url = env('LIANQI_URL');

async function query(token, q) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: q }),
  });
  return res.json();
}

function idpToken(key, kid) {
  return new SignJWT({ roles: ['leader'], preferred_username: 'jose-leader' })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(env('IDP_ISSUER'))
    .setAudience(env('IDP_AUDIENCE'))
    .setSubject('jose-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

test("a token the server issued verifies against its published JWKS", async () => {
  const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(env('LIANQI_TOKEN'), jwks, {
    issuer: 'lianqi',
    audience: 'lianqi-api',
    algorithms: ['EdDSA'],
  });
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.ok(protectedHeader.kid);
  assert.equal(payload.role, 'ADMIN');
  assert.ok(payload.sid, 'access tokens name their session');
});

test("a tampered server token does not verify", async () => {
  const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  const [h, p, s] = env('LIANQI_TOKEN').split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.role = 'LEADER';
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  await assert.rejects(jwtVerify(forged, jwks, { issuer: 'lianqi', audience: 'lianqi-api' }));
});

test("a token jose signs with the configured issuer's key is accepted", async () => {
  const key = await importJWK(JSON.parse(env('IDP_PRIVATE_JWK')), 'EdDSA');
  const res = await query(await idpToken(key, env('IDP_KID')), '{ problems(first: 1) { totalCount } }');
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.ok(res.data.problems.totalCount > 0);
});

test("a token jose signs with another key is refused", async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const res = await query(await idpToken(privateKey, env('IDP_KID')), '{ problems(first: 1) { totalCount } }');
  assert.equal(res.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(res.data, null);
});
