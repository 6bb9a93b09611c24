import { createTokenSchema, createUserSchema, loginSchema } from '@aperture/api-contract';
import { toPublicUser } from '@aperture/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf, cookieMustBeSecure, SESSION_COOKIE } from '../http/auth.ts';
import { throttleAddressOf } from '../http/client-address.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Sign in with a password; sets the session cookie.',
    tags: ['auth'],
    body: loginSchema,
    public: true,
    handler: async (request, reply) => {
      const { username, password } = parseBody(loginSchema, request.body);
      // request.ip honours X-Forwarded-For only behind a trusted proxy (config trustProxy).
      const { sessionSecret, user, expiresAt } = await ctx.auth.login(username, password, {
        address: throttleAddressOf(request.ip),
      });
      reply.setCookie(SESSION_COOKIE, sessionSecret, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: cookieMustBeSecure(request, ctx),
        expires: new Date(expiresAt),
      });
      return { user: toPublicUser(user), expiresAt };
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/auth/logout',
    summary: 'End the session.',
    tags: ['auth'],
    public: true,
    handler: async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await ctx.auth.logout(cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/me',
    summary: 'The signed-in user.',
    tags: ['auth'],
    handler: async (request) => toPublicUser(request.user!),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/tokens',
    summary: 'Your API tokens (secrets are never shown again).',
    tags: ['auth'],
    handler: async (request) =>
      (await ctx.auth.listTokens(actorOf(request))).map(({ tokenHash: _h, ...token }) => token),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/tokens',
    summary: 'Create a personal API token; the secret is in this response only.',
    tags: ['auth'],
    body: createTokenSchema,
    handler: async (request, reply) => {
      const body = parseBody(createTokenSchema, request.body);
      const { token, record } = await ctx.auth.createToken(actorOf(request), body.name, {
        expiresInDays: body.expiresInDays,
      });
      const { tokenHash: _h, ...rest } = record;
      return reply.status(201).send({ ...rest, token });
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    summary: 'Revoke one of your tokens.',
    tags: ['auth'],
    handler: async (request, reply) => {
      await ctx.auth.deleteToken(actorOf(request), (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/users',
    summary: 'All users (admin).',
    tags: ['users'],
    handler: async (request) => ctx.auth.listUsers(actorOf(request)),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/users',
    summary: 'Create a user (admin).',
    tags: ['users'],
    body: createUserSchema,
    handler: async (request, reply) => {
      const body = parseBody(createUserSchema, request.body);
      const user = await ctx.auth.createUser(actorOf(request), body);
      return reply.status(201).send(toPublicUser(user));
    },
  });
}
