//! The exit codes the README's "Outputs and exit codes" promises, in one place: every command
//! ends in one of these, and only `main` turns it into a process exit code.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: nothing failed the gate (every credential works, the session ended as asked).
    Passed,
    /// 1: a finding at or above `--fail-on`; a cloud refused a credential; a language server
    /// session that ended without `shutdown`, as the protocol asks.
    Failed,
    /// 2: bad input (a plan, a flag, a file that cannot be read or written): nothing checked.
    BadInput,
    /// 3: a check could not be made (`unverified`), and nothing failed outright.
    Unverified,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::BadInput => 2,
            Exit::Unverified => 3,
        }
    }

    /// The one of two outcomes a run reports: bad input over a failure, a failure over
    /// "could not tell", that over a pass.
    pub fn worse(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Passed => 0,
            Exit::Unverified => 1,
            Exit::Failed => 2,
            Exit::BadInput => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit::*;

    #[test]
    fn the_codes_are_the_readmes_and_the_worse_one_wins() {
        let codes: Vec<u8> = [Passed, Failed, BadInput, Unverified]
            .map(|e| e.code())
            .to_vec();
        assert_eq!(codes, [0, 1, 2, 3]);
        assert_eq!(Passed.worse(Unverified), Unverified);
        assert_eq!(Unverified.worse(Failed), Failed);
        assert_eq!(Failed.worse(Unverified), Failed);
        assert_eq!(Failed.worse(BadInput), BadInput);
    }
}
