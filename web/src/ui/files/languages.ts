// The grammars the Files pane knows, by the names band-server's `language` hint uses.
// Order matters: a grammar that extends another comes after it.

import "./prism";
import Prism from "prismjs";
import "prismjs/components/prism-markup";
import "prismjs/components/prism-clike";
import "prismjs/components/prism-javascript";
import "prismjs/components/prism-typescript";
import "prismjs/components/prism-jsx";
import "prismjs/components/prism-tsx";
import "prismjs/components/prism-rust";
import "prismjs/components/prism-json";
import "prismjs/components/prism-markdown";
import "prismjs/components/prism-toml";
import "prismjs/components/prism-yaml";
import "prismjs/components/prism-python";
import "prismjs/components/prism-go";
import "prismjs/components/prism-bash";
import "prismjs/components/prism-css";
import "prismjs/components/prism-scss";
import "prismjs/components/prism-sql";
import "prismjs/components/prism-c";
import "prismjs/components/prism-cpp";
import "prismjs/components/prism-csharp";
import "prismjs/components/prism-java";
import "prismjs/components/prism-kotlin";
import "prismjs/components/prism-scala";
import "prismjs/components/prism-swift";
import "prismjs/components/prism-ruby";
import "prismjs/components/prism-markup-templating";
import "prismjs/components/prism-php";
import "prismjs/components/prism-lua";
import "prismjs/components/prism-diff";
import "prismjs/components/prism-docker";
import "prismjs/components/prism-makefile";
import "prismjs/components/prism-ini";
import "prismjs/components/prism-graphql";
import "prismjs/components/prism-protobuf";
import "prismjs/components/prism-hcl";
import "prismjs/components/prism-nix";
import "prismjs/components/prism-zig";
import "prismjs/components/prism-elixir";
import "prismjs/components/prism-haskell";
import "prismjs/components/prism-dart";
import "prismjs/components/prism-ignore";
import "prismjs/components/prism-cmake";

/** band-server's hint → Prism's grammar name, where they differ. */
const aliases: Record<string, string> = {
  html: "markup",
  xml: "markup",
  svelte: "markup",
  vue: "markup",
  dockerfile: "docker",
  proto: "protobuf",
  shell: "bash",
};

export function grammarOf(language: string | null | undefined): Prism.Grammar | undefined {
  if (!language) return undefined;
  return Prism.languages[aliases[language] ?? language];
}

export { Prism };
