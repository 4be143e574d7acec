// Types for the plain-JavaScript plugin in layering.js (see its header for what the rule does).
import type { ESLint, Rule } from 'eslint';

export declare const COMPONENTS: readonly string[];
export declare const ALLOWED: Readonly<Record<string, readonly string[]>>;
export declare const PURE: readonly string[];
export declare const SUB_FOLDERS: Readonly<Record<string, { readonly entry: boolean; readonly never: readonly string[]; readonly instead: string }>>;
export declare const layeringRule: Rule.RuleModule;

declare const plugin: ESLint.Plugin & {
  meta: { name: 'breakwater'; version: string };
  rules: { layering: Rule.RuleModule };
};
export default plugin;
