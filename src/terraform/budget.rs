//! How much work one Terraform configuration may ask of the evaluator, as a real interpreter
//! limits it: evaluation steps (in one expression and in all), instances (per block and in
//! all), collection sizes and string lengths. A configuration past one of them (locals that
//! fan out, `count = 1e9`, a string doubled forty times) ends in an input error at the
//! expression where the budget ran out, never in an abort; the evaluator returns "unknown"
//! from then on, so the rest of the run is cheap. Module depth and recursion are limited where
//! modules are read (`modules`).

use std::cell::{Cell, RefCell};

use miette::SourceSpan;

use crate::error::InputError;
use crate::source::SourceFile;

/// Steps (one per expression evaluated) for one attribute, `count` or `for_each`.
pub const MAX_STEPS_PER_EXPRESSION: u64 = 250_000;
/// Steps for the whole configuration.
pub const MAX_STEPS: u64 = 5_000_000;
/// Instances of one block (`count`, `for_each`), and of all blocks together.
pub const MAX_INSTANCES: u64 = 50_000;
/// Elements of one list or map.
pub const MAX_COLLECTION: usize = 100_000;
/// Bytes of one string.
pub const MAX_STRING: usize = 1024 * 1024;
/// Bytes of all the strings the evaluator builds.
pub const MAX_STRING_BYTES: u64 = 64 * 1024 * 1024;

/// The work done so far, and where it ran out.
#[derive(Default)]
pub struct Budget {
    steps: Cell<u64>,
    expression_steps: Cell<u64>,
    instances: Cell<u64>,
    string_bytes: Cell<u64>,
    spent: RefCell<Option<Spent>>,
}

/// Where a limit was hit, and which.
struct Spent {
    at: Option<(SourceFile, SourceSpan)>,
    message: String,
}

type At<'a> = &'a dyn Fn() -> Option<(SourceFile, SourceSpan)>;

impl Budget {
    /// Whether any limit was hit.
    pub fn exhausted(&self) -> bool {
        self.spent.borrow().is_some()
    }

    /// A new top-level expression starts: its own step count starts again.
    pub fn start_expression(&self) {
        self.expression_steps.set(0);
    }

    /// One step at `at`; false once a limit is hit.
    pub fn step(&self, at: At) -> bool {
        if self.exhausted() {
            return false;
        }
        let (all, this) = (self.steps.get() + 1, self.expression_steps.get() + 1);
        self.steps.set(all);
        self.expression_steps.set(this);
        if this > MAX_STEPS_PER_EXPRESSION {
            return self.spend(
                at,
                format!(
                    "evaluating this expression takes more than {} steps",
                    thousands(MAX_STEPS_PER_EXPRESSION)
                ),
            );
        }
        if all > MAX_STEPS {
            return self.spend(
                at,
                format!(
                    "evaluating the configuration takes more than {} steps; it ran out here",
                    thousands(MAX_STEPS)
                ),
            );
        }
        true
    }

    /// `n` instances of one block, asked for at `at` (its `count` or `for_each`); false when
    /// that is more than one block may have.
    pub fn block(&self, n: u64, at: At) -> bool {
        if n > MAX_INSTANCES {
            return self.spend(
                at,
                format!(
                    "this asks for {} instances; preflight expands at most {} of one block",
                    thousands(n),
                    thousands(MAX_INSTANCES)
                ),
            );
        }
        !self.exhausted()
    }

    /// `n` more instances expanded at `at`; false when the configuration has more than it
    /// may in all.
    pub fn instances(&self, n: u64, at: At) -> bool {
        let all = self.instances.get() + n;
        self.instances.set(all);
        if all > MAX_INSTANCES {
            return self.spend(
                at,
                format!(
                    "the configuration has more than {} instances in all; it ran out here",
                    thousands(MAX_INSTANCES)
                ),
            );
        }
        !self.exhausted()
    }

    /// A list or map of `n` elements made at `at`.
    pub fn collection(&self, n: usize, at: At) -> bool {
        if n > MAX_COLLECTION {
            return self.spend(
                at,
                format!(
                    "this makes a collection of {} elements; preflight allows {}",
                    thousands(n as u64),
                    thousands(MAX_COLLECTION as u64)
                ),
            );
        }
        !self.exhausted()
    }

    /// A string of `len` bytes made at `at`.
    pub fn string(&self, len: usize, at: At) -> bool {
        if len > MAX_STRING {
            return self.spend(
                at,
                format!(
                    "this makes a string of {} bytes; preflight allows {}",
                    thousands(len as u64),
                    thousands(MAX_STRING as u64)
                ),
            );
        }
        let all = self.string_bytes.get() + len as u64;
        self.string_bytes.set(all);
        if all > MAX_STRING_BYTES {
            return self.spend(
                at,
                format!(
                    "the configuration's strings take more than {} MiB; it ran out here",
                    MAX_STRING_BYTES / (1024 * 1024)
                ),
            );
        }
        !self.exhausted()
    }

    /// Records the first limit hit; always false.
    fn spend(&self, at: At, message: String) -> bool {
        let mut spent = self.spent.borrow_mut();
        if spent.is_none() {
            *spent = Some(Spent { at: at(), message });
        }
        false
    }

    /// The input error for the limit that was hit, if one was.
    pub fn error(&self) -> Option<InputError> {
        let spent = self.spent.borrow();
        let spent = spent.as_ref()?;
        let help = "preflight bounds the work a configuration may ask for (see \"Inputs and reports\" in the README); simplify the expression, or validate the plan JSON (`terraform show -json`)";
        Some(
            match &spent.at {
                Some((file, span)) => InputError::at(
                    "terraform::too-much-work",
                    file,
                    *span,
                    spent.message.clone(),
                    "here",
                ),
                None => InputError::new("terraform::too-much-work", spent.message.clone()),
            }
            .with_help(help),
        )
    }
}

/// `5000000` as `5,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_limit_hit_is_the_one_reported_and_everything_after_is_refused() {
        let budget = Budget::default();
        let nowhere: At = &|| None;
        assert!(budget.instances(10, nowhere));
        assert!(budget.block(MAX_INSTANCES, nowhere));
        assert!(!budget.block(MAX_INSTANCES + 1, nowhere));
        assert!(!budget.instances(1, nowhere));
        assert!(!budget.step(nowhere), "nothing runs once a limit is hit");
        assert!(!budget.string(1, nowhere));
        let e = format!("{:?}", budget.error().expect("an error"));
        assert!(e.contains("50,001 instances"), "{e}");
    }

    #[test]
    fn steps_count_per_expression_and_in_all() {
        let budget = Budget::default();
        let nowhere: At = &|| None;
        for _ in 0..MAX_STEPS_PER_EXPRESSION {
            assert!(budget.step(nowhere));
        }
        budget.start_expression();
        assert!(budget.step(nowhere), "a new expression starts again");
        assert!(!budget.exhausted());
        for _ in 0..MAX_STEPS_PER_EXPRESSION {
            budget.step(nowhere);
        }
        assert!(budget.exhausted());
    }

    #[test]
    fn collections_and_strings_are_held_to_their_limits() {
        let nowhere: At = &|| None;
        let budget = Budget::default();
        assert!(budget.collection(MAX_COLLECTION, nowhere));
        assert!(budget.string(MAX_STRING, nowhere));
        assert!(!budget.collection(MAX_COLLECTION + 1, nowhere));
        let e = format!("{:?}", budget.error().expect("an error"));
        assert!(e.contains("100,001 elements"), "{e}");
        let budget = Budget::default();
        assert!(
            !budget.string(MAX_STRING + 1, nowhere),
            "one string too long"
        );
        let budget = Budget::default();
        let all = (MAX_STRING_BYTES / MAX_STRING as u64) as usize;
        for _ in 0..all {
            assert!(budget.string(MAX_STRING, nowhere));
        }
        assert!(!budget.string(1, nowhere), "all strings together too long");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(5_000_000), "5,000,000");
    }
}
