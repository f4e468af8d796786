import type { Command } from 'commander';
import { actLocal, command } from './context.ts';
import { UsageError } from './usage.ts';

// `vpcep completion bash|zsh`: a completion script generated from the command
// tree itself, so it never lags behind the commands. zsh runs the bash script
// through its bashcompinit layer.

interface Node {
  path: string;
  words: string[];
}

function optionsOf(cmd: Command): string[] {
  return [...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))), '--help'];
}

function walk(cmd: Command, path: string, out: Node[]): void {
  const children = cmd.commands.filter((c) => c.name() !== 'help');
  out.push({
    path,
    // A command with subcommands offers them, and its own options (the root's come before a command).
    words: children.length > 0 ? [...children.map((c) => c.name()), ...optionsOf(cmd)] : optionsOf(cmd),
  });
  for (const child of children) walk(child, path === '' ? child.name() : `${path} ${child.name()}`, out);
}

/** Names and flags are ours (letters, digits, '-'); quoting keeps the script valid regardless. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function bashCompletion(program: Command): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  const paths = nodes.filter((n) => n.path !== '').map((n) => quote(n.path));
  const cases = nodes.map((n) => `    ${quote(n.path)}) words=${quote(n.words.join(' '))} ;;`);
  return [
    '# vpcep completion for bash: source <(vpcep completion bash)',
    '_vpcep() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i w words',
    '  case "$prev" in',
    '    -o|--output) COMPREPLY=($(compgen -W \'table json yaml id\' -- "$cur")); return ;;',
    '    --until) COMPREPLY=($(compgen -W \'available settled accepted deleted\' -- "$cur")); return ;;',
    '    --profile|--endpoint) COMPREPLY=(); return ;;',
    '  esac',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    case "${cmd:+$cmd }$w" in',
    `      ${paths.join('|')}) cmd="\${cmd:+$cmd }$w" ;;`,
    '    esac',
    '  done',
    '  case "$cmd" in',
    ...cases,
    '    *) words="" ;;',
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -F _vpcep vpcep',
    '',
  ].join('\n');
}

export function zshCompletion(program: Command): string {
  return [
    '# vpcep completion for zsh: source <(vpcep completion zsh)',
    'autoload -U +X compinit && compinit',
    'autoload -U +X bashcompinit && bashcompinit',
    bashCompletion(program).split('\n').slice(1).join('\n'),
  ].join('\n');
}

export function registerCompletionCommand(program: Command): void {
  actLocal(command(program, 'completion <shell>', 'print shell completion: bash or zsh'), async ([shell]) => {
    if (shell === 'bash') process.stdout.write(bashCompletion(program));
    else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
    else throw new UsageError(`unsupported shell '${String(shell)}': bash or zsh`);
  });
}
