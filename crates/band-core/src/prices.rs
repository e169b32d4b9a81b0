//! What models cost, to estimate a turn's cost where the agent reports none (Codex, Gemini CLI,
//! Qwen Code; OpenCode without prices in its own config). Claude Code reports its cost itself.
//!
//! Prices are US dollars per million tokens, from the vendors' public list prices (2026); they are
//! estimates, and settings.json's `prices.<model>` overrides or adds any of them. A model is
//! matched by its name, case-insensitively: exactly, else by the longest table entry it starts
//! with (`gpt-5.5` is priced as `gpt-5`, `gemini-2.5-flash-001` as `gemini-2.5-flash`); a name
//! with its provider in front (`openai/gpt-5`, as OpenCode gives it) also by the part after the
//! last `/`.
//!
//! For the agents band estimates, input tokens count cache reads too (as OpenAI, Gemini and the
//! AI SDK report them), so cache reads are priced at their own rate and the rest of the input at
//! the input rate.

use std::collections::BTreeMap;

use crate::chat::Usage;

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Default: the input price.
    pub cache_read: Option<f64>,
    /// Default: the input price.
    pub cache_write: Option<f64>,
}

impl Price {
    const fn new(input: f64, output: f64, cache_read: f64) -> Self {
        Self { input, output, cache_read: Some(cache_read), cache_write: None }
    }

    /// What `usage` costs at this price.
    pub fn cost(&self, u: &Usage) -> f64 {
        let per = |tokens: u64, dollars: f64| tokens as f64 * dollars / 1_000_000.0;
        let uncached = u.input_tokens.saturating_sub(u.cache_read_tokens);
        per(uncached, self.input)
            + per(u.cache_read_tokens, self.cache_read.unwrap_or(self.input))
            + per(u.cache_write_tokens, self.cache_write.unwrap_or(self.input))
            + per(u.output_tokens, self.output)
    }
}

/// The price table: built-in list prices, overlaid by settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// Lowercase model name to price.
    table: BTreeMap<String, Price>,
}

const BUILTIN: &[(&str, Price)] = &[
    ("gpt-5", Price::new(1.25, 10.0, 0.125)),
    ("gpt-5-mini", Price::new(0.25, 2.0, 0.025)),
    ("gpt-5-nano", Price::new(0.05, 0.4, 0.005)),
    ("gpt-4.1", Price::new(2.0, 8.0, 0.5)),
    ("gpt-4.1-mini", Price::new(0.4, 1.6, 0.1)),
    ("gpt-4o", Price::new(2.5, 10.0, 1.25)),
    ("o3", Price::new(2.0, 8.0, 0.5)),
    ("o4-mini", Price::new(1.1, 4.4, 0.275)),
    ("gemini-2.5-pro", Price::new(1.25, 10.0, 0.31)),
    ("gemini-2.5-flash", Price::new(0.3, 2.5, 0.075)),
    ("gemini-2.5-flash-lite", Price::new(0.1, 0.4, 0.025)),
    ("claude-opus-4", Price::new(15.0, 75.0, 1.5)),
    ("claude-sonnet-4", Price::new(3.0, 15.0, 0.3)),
    ("claude-haiku-4", Price::new(1.0, 5.0, 0.1)),
    ("qwen3-coder-plus", Price::new(1.0, 5.0, 0.1)),
    ("qwen3-coder-flash", Price::new(0.3, 1.5, 0.03)),
    ("deepseek-chat", Price::new(0.27, 1.1, 0.07)),
    ("kimi-k2", Price::new(0.6, 2.5, 0.15)),
];

impl Prices {
    pub fn builtin() -> Self {
        Self { table: BUILTIN.iter().map(|(m, p)| ((*m).to_owned(), *p)).collect() }
    }

    /// The built-in prices with `overrides` (from settings) over them.
    pub fn with_overrides(overrides: impl IntoIterator<Item = (String, Price)>) -> Self {
        let mut prices = Self::builtin();
        prices.table.extend(overrides.into_iter().map(|(m, p)| (m.to_ascii_lowercase(), p)));
        prices
    }

    /// The price of `model`: its own entry, else the longest entry it starts with; a model named
    /// with its provider (`mock/mock-model`, `openai/gpt-5`) also by its name alone.
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.lookup(model).or_else(|| model.rsplit_once('/').and_then(|(_, name)| self.lookup(name)))
    }

    fn lookup(&self, model: &str) -> Option<&Price> {
        let model = model.to_ascii_lowercase();
        self.table.get(&model).or_else(|| {
            self.table
                .iter()
                .filter(|(name, _)| model.starts_with(name.as_str()))
                .max_by_key(|(name, _)| name.len())
                .map(|(_, p)| p)
        })
    }

    /// The estimated cost of `usage` with the first of `models` that has a price.
    pub fn estimate<'a>(&self, models: impl IntoIterator<Item = &'a str>, usage: &Usage) -> Option<f64> {
        models.into_iter().find_map(|m| self.price(m)).map(|p| p.cost(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, cached: u64, output: u64) -> Usage {
        Usage { input_tokens: input, cache_read_tokens: cached, output_tokens: output, ..Usage::default() }
    }

    #[test]
    fn models_are_priced_exactly_or_by_their_longest_prefix() {
        let prices = Prices::builtin();
        assert_eq!(prices.price("gpt-5.5").map(|p| p.input), Some(1.25));
        assert_eq!(prices.price("GPT-5-mini-2026").map(|p| p.input), Some(0.25));
        assert_eq!(prices.price("gemini-2.5-flash").map(|p| p.output), Some(2.5));
        assert_eq!(prices.price("gemini-2.5-flash-lite-001").map(|p| p.output), Some(0.4));
        assert_eq!(prices.price("openrouter/openai/gpt-5").map(|p| p.input), Some(1.25));
        assert_eq!(prices.price("mock-model"), None);
    }

    #[test]
    fn a_cost_prices_cache_reads_apart_from_the_rest_of_the_input() {
        let p = Price { input: 2.0, output: 10.0, cache_read: Some(0.5), cache_write: None };
        // 600k uncached at $2, 400k cached at $0.5, 100k out at $10.
        let cost = p.cost(&usage(1_000_000, 400_000, 100_000));
        assert!((cost - (1.2 + 0.2 + 1.0)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn settings_override_and_add_prices() {
        let mock = Price { input: 1.0, output: 2.0, cache_read: None, cache_write: None };
        let cheap = Price { input: 0.0, output: 0.0, cache_read: None, cache_write: None };
        let prices = Prices::with_overrides([("Mock-Model".to_owned(), mock), ("gpt-5".to_owned(), cheap)]);
        assert_eq!(prices.estimate(["unknown", "mock-model"], &usage(1_000_000, 0, 1_000_000)), Some(3.0));
        assert_eq!(prices.estimate(["gpt-5.5"], &usage(1_000_000, 0, 0)), Some(0.0));
        assert_eq!(prices.estimate(["nothing"], &usage(1, 0, 1)), None);
    }
}
