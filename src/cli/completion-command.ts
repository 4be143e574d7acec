/**
 * `breakwater completion bash|zsh|fish`: prints a script that registers completion for the
 * `breakwater` command in that shell. Each script is a thin shim: at every Tab it calls
 * `breakwater __complete <words…>` (complete-command.ts), which knows the commands, flags and
 * pipelines, and turns its lines (`candidate<TAB>description`, then `:directive`) into the shell's
 * candidates. Nothing is listed in the scripts, so they never go stale when a command is added.
 *
 * @example
 * // bash:  source <(breakwater completion bash)          (or save it under /etc/bash_completion.d/)
 * // zsh:   source <(breakwater completion zsh)           (after compinit)
 * // fish:  breakwater completion fish > ~/.config/fish/completions/breakwater.fish
 */
import type { Io } from './io.js';

export type Shell = 'bash' | 'zsh' | 'fish';

/** The script as written: raw (backslashes kept), `$\{` standing for the shell's `${`, which a template would interpolate. */
const script = (text: TemplateStringsArray): string => (text.raw[0] ?? '').replaceAll('$\\{', '${');

// Directive bits, as complete-command.ts prints them: 1 no space after the word, 2 complete file names.
const BASH = script`# breakwater completion for bash (4 or later): source <(breakwater completion bash)
_breakwater_complete() {
  local cur="$\{COMP_WORDS[COMP_CWORD]}"
  local -a args=("$\{COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur")
  local -a vars=(BREAKWATER_COMPLETE_SHELL=bash) lines
  # The line itself too: COMP_WORDS breaks --server=https://h:7070 into five words.
  [[ -n "$\{COMP_LINE-}" ]] && vars+=("BREAKWATER_COMPLETE_LINE=$\{COMP_LINE:0:COMP_POINT}")
  mapfile -t lines < <(env "$\{vars[@]}" "$\{COMP_WORDS[0]}" __complete "$\{args[@]}" 2>/dev/null)
  COMPREPLY=()
  local n=$\{#lines[@]}
  (( n > 0 )) || return 0
  local directive="$\{lines[n-1]#:}"
  [[ "$directive" =~ ^[0-9]+$ ]] || directive=0
  if (( directive & 2 )); then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    compopt -o filenames 2>/dev/null
    return 0
  fi
  local line
  for line in "$\{lines[@]:0:n-1}"; do COMPREPLY+=("$\{line%%$'\t'*}"); done
  if (( directive & 1 )); then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -F _breakwater_complete breakwater
`;

const ZSH = script`#compdef breakwater
# breakwater completion for zsh: source <(breakwater completion zsh) after compinit
_breakwater() {
  local -a lines values shown
  local line directive
  lines=("$\{(@f)$(BREAKWATER_COMPLETE_SHELL=zsh $\{words[1]} __complete "$\{(@Q)words[2,CURRENT-1]}" "$PREFIX" 2>/dev/null)}")
  (( $\{#lines} > 0 )) || return 1
  directive="$\{lines[-1]#:}"
  [[ "$directive" == <-> ]] || directive=0
  if (( directive & 2 )); then
    _files
    return
  fi
  for line in "$\{(@)lines[1,-2]}"; do
    [[ -n "$line" ]] || continue
    values+=("$\{line%%$'\t'*}")
    if [[ "$line" == *$'\t'* ]]; then shown+=("$\{line%%$'\t'*}  -- $\{line#*$'\t'}"); else shown+=("$line"); fi
  done
  (( $\{#values} > 0 )) || return 1
  if (( directive & 1 )); then
    compadd -l -d shown -S '' -- "$\{values[@]}"
  else
    compadd -l -d shown -- "$\{values[@]}"
  fi
}
if (( $\{+functions[compdef]} )); then compdef _breakwater breakwater; fi
`;

const FISH = script`# breakwater completion for fish: breakwater completion fish > ~/.config/fish/completions/breakwater.fish
function __breakwater_complete
    set -l args (commandline -opc)
    set -e args[1]
    set -l current (commandline -ct)
    set -l lines (env BREAKWATER_COMPLETE_SHELL=fish breakwater __complete $args $current 2>/dev/null)
    test (count $lines) -gt 0; or return
    set -l directive (string replace -r '^:' '' -- $lines[-1])
    string match -qr '^[0-9]+$' -- $directive; or set directive 0
    set -e lines[-1]
    if test (math "bitand($directive, 2)") -ne 0
        __fish_complete_path $current
        return
    end
    printf '%s\n' $lines
end
complete -c breakwater -f -a '(__breakwater_complete)'
`;

export const COMPLETION_SCRIPTS: Readonly<Record<Shell, string>> = { bash: BASH, zsh: ZSH, fish: FISH };

export function completionCommand(shell: Shell, io: Io): number {
  io.stdout.write(COMPLETION_SCRIPTS[shell]);
  return 0;
}
