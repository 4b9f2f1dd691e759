//! Where a setting came from, so that every error names the file (or variable), the cloud
//! and the key at fault.

use std::fmt;
use std::path::PathBuf;

use crate::Error;

/// The kinds of configuration file, each searched for on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// clouds.yaml: the clouds themselves.
    Clouds,
    /// secure.yaml: secrets, deep-merged over clouds.yaml.
    Secure,
    /// clouds-public.yaml: public clouds that `profile:` names.
    Public,
}

impl FileKind {
    /// The file name without its suffix.
    pub(crate) fn stem(self) -> &'static str {
        match self {
            FileKind::Clouds => "clouds",
            FileKind::Secure => "secure",
            FileKind::Public => "clouds-public",
        }
    }

    /// How errors call the file, whichever suffix it has.
    pub(crate) fn label(self) -> &'static str {
        match self {
            FileKind::Clouds => "clouds.yaml",
            FileKind::Secure => "secure.yaml",
            FileKind::Public => "clouds-public.yaml",
        }
    }

    /// The top-level key holding the clouds.
    pub(crate) fn clouds_key(self) -> &'static str {
        match self {
            FileKind::Clouds | FileKind::Secure => "clouds",
            FileKind::Public => "public-clouds",
        }
    }

    /// The variable naming the file outright, searched before any folder.
    pub(crate) fn override_var(self) -> Option<&'static str> {
        match self {
            FileKind::Clouds => Some("OS_CLIENT_CONFIG_FILE"),
            FileKind::Secure => Some("OS_CLIENT_SECURE_FILE"),
            FileKind::Public => None,
        }
    }
}

/// A file that was found: its kind and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRef {
    pub(crate) kind: FileKind,
    pub(crate) path: PathBuf,
}

impl fmt::Display for FileRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind.label(), self.path.display())
    }
}

impl FileRef {
    /// An error about the file as a whole (`clouds.yaml (/x/clouds.yaml): ...`).
    pub(crate) fn error(&self, problem: impl fmt::Display) -> Error {
        Error::config(format!("{self}: {problem}"))
    }
}

/// Where one layer of a cloud's settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A cloud's entry in a file.
    File { file: FileRef, cloud: String },
    /// `OS_*` variables, for the named cloud (`envvars` or a clouds.yaml cloud).
    Environment { cloud: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { file, cloud } => write!(f, "{file}: cloud \"{cloud}\""),
            Origin::Environment { cloud } => write!(f, "environment: cloud \"{cloud}\""),
        }
    }
}

impl Origin {
    /// A value that is of the wrong type or not allowed:
    /// `clouds.yaml (/x): cloud "prod": key "verify": expected a boolean, found a list`.
    /// For the environment, `key` is the variable's name.
    pub(crate) fn invalid(&self, key: &str, problem: impl fmt::Display) -> Error {
        match self {
            Origin::File { .. } => Error::config(format!("{self}: key \"{key}\": {problem}")),
            Origin::Environment { .. } => {
                Error::config(format!("{self}: variable {key}: {problem}"))
            }
        }
    }

    /// A required key that no layer set; `keys` are alternatives, any one would do
    /// (`key "auth.username" (or "auth.user_id") is missing`). For a cloud made of
    /// variables, the message says which variables would set it.
    pub(crate) fn missing(&self, keys: &[&str]) -> Error {
        let (first, others) = keys.split_first().expect("at least one key");
        let mut message = format!("{self}: key \"{first}\"");
        for other in others {
            message.push_str(&format!(" (or \"{other}\")"));
        }
        message.push_str(" is missing");
        if let Origin::Environment { .. } = self {
            let vars: Vec<&str> = keys
                .iter()
                .filter_map(|k| super::environment::var_for_key(k))
                .collect();
            if !vars.is_empty() {
                message.push_str(&format!(" (set {})", vars.join(" or ")));
            }
        }
        Error::config(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Origin {
        Origin::File {
            file: FileRef {
                kind: FileKind::Clouds,
                path: PathBuf::from("/x/clouds.yml"),
            },
            cloud: "prod".into(),
        }
    }

    #[test]
    fn file_errors_name_file_cloud_and_key() {
        assert_eq!(
            file()
                .invalid("verify", "expected a boolean, found a list")
                .to_string(),
            "clouds.yaml (/x/clouds.yml): cloud \"prod\": key \"verify\": expected a boolean, found a list"
        );
        assert_eq!(
            file().missing(&["auth.auth_url"]).to_string(),
            "clouds.yaml (/x/clouds.yml): cloud \"prod\": key \"auth.auth_url\" is missing"
        );
        assert_eq!(
            file()
                .missing(&["auth.username", "auth.user_id"])
                .to_string(),
            "clouds.yaml (/x/clouds.yml): cloud \"prod\": key \"auth.username\" (or \"auth.user_id\") is missing"
        );
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let env = Origin::Environment {
            cloud: "envvars".into(),
        };
        assert_eq!(
            env.missing(&["auth.auth_url"]).to_string(),
            "environment: cloud \"envvars\": key \"auth.auth_url\" is missing (set OS_AUTH_URL)"
        );
        assert_eq!(
            env.missing(&["auth.username", "auth.user_id"]).to_string(),
            "environment: cloud \"envvars\": key \"auth.username\" (or \"auth.user_id\") is missing (set OS_USERNAME or OS_USER_ID)"
        );
        assert_eq!(
            env.invalid("OS_INSECURE", "expected a boolean, found \"maybe\"")
                .to_string(),
            "environment: cloud \"envvars\": variable OS_INSECURE: expected a boolean, found \"maybe\""
        );
    }
}
