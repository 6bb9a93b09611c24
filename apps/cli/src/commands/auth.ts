import { type Command, Option } from 'commander';
import { ask, askSecret } from '../prompt.ts';
import { login, printLogin, printToken, printTokens } from '../services/auth.ts';
import { action, examples, positiveInt, withGlobals } from './common.ts';

export function registerAuthCommands(program: Command): void {
  withGlobals(program.command('login'))
    .description('Sign in with your password and store an API token for later commands')
    .addOption(new Option('-u, --username <name>', 'your username').env('APERTURE_USERNAME'))
    .addOption(
      new Option('-p, --password <password>', 'your password (prompted without echo)').env(
        'APERTURE_PASSWORD',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'aperture login --server https://aperture.example.edu',
        'APERTURE_USERNAME=ada APERTURE_PASSWORD=... aperture login',
      ),
    )
    .action(
      action(async (ctx, opts: { username?: string; password?: string }) => {
        const username = opts.username || (await ask('Username: ', '--username (or APERTURE_USERNAME)'));
        const password =
          opts.password || (await askSecret('Password: ', '--password (or APERTURE_PASSWORD)'));
        printLogin(await login(ctx.client, ctx.credentials, username, password), ctx.out);
      }),
    );

  withGlobals(program.command('logout'))
    .description('Forget the stored server and token (the token stays valid until revoked)')
    .action(
      action(async (ctx) => {
        const removed = await ctx.credentials.remove();
        ctx.out.result({ removed, path: ctx.credentials.path }, (r) =>
          r.removed ? `Removed ${r.path}.` : 'Not logged in; nothing to remove.',
        );
      }),
    );

  const token = program.command('token').description('Personal API tokens for scripts and CI');
  withGlobals(token.command('create'))
    .description('Create a token; its secret is printed once')
    .argument('<name>', 'a name to recognise it by, e.g. "ci"')
    .option('--expires-in-days <days>', 'expire after this many days', positiveInt('--expires-in-days'))
    .addHelpText('after', examples('aperture token create ci --expires-in-days 90'))
    .action(
      action(async (ctx, name: string, opts: { expiresInDays?: number }) => {
        const created = await ctx.client.createToken({
          name,
          ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}),
        });
        printToken(created, ctx.out);
      }),
    );
  withGlobals(token.command('list'))
    .description('Your tokens (never their secrets)')
    .addHelpText('after', examples('aperture token list -o json'))
    .action(action(async (ctx) => printTokens(await ctx.client.listTokens(), ctx.out)));
  withGlobals(token.command('revoke'))
    .description('Revoke one of your tokens')
    .argument('<id>', 'the token id (from `aperture token list`)')
    .addHelpText('after', examples('aperture token revoke tok_01J...'))
    .action(
      action(async (ctx, id: string) => {
        await ctx.client.revokeToken(id);
        ctx.out.result({ id, revoked: true }, () => `Revoked ${id}.`);
      }),
    );
}
