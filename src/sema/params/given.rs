//! Parameter values given at compile time: `--param k=v`, `--params FILE`
//! (a JSON object) and `INFRA_PARAM_k` in the environment.
//!
//! Precedence: `--param` over `--params` over the environment; among
//! `--param` flags, the last one for a name wins. Values are only gathered
//! here; [`super::check`] converts them by each param's type and checks them.

use indexmap::IndexMap;

/// Where a compile-time value came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--param k=v` on the command line.
    Flag,
    /// `--params FILE`.
    File(std::path::PathBuf),
    /// `INFRA_PARAM_k`.
    Env,
}

/// A value given at compile time. Flags and the environment give text,
/// which is converted by the param's declared type; a params file gives JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum GivenValue {
    Text(String),
    Json(serde_json::Value),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    pub value: GivenValue,
    pub origin: Origin,
}

impl Given {
    /// Where the value of param `name` came from, as the user wrote it:
    /// `` `--param env=prod` ``, `` the params file `prod.json` ``,
    /// `` `INFRA_PARAM_env` ``.
    pub fn describe(&self, name: &str) -> String {
        match (&self.origin, &self.value) {
            (Origin::Flag, GivenValue::Text(text)) => {
                format!("`--param {name}={}`", shorten(text))
            }
            (Origin::Flag, GivenValue::Json(_)) => format!("`--param {name}`"),
            (Origin::File(path), _) => format!("the params file `{}`", path.display()),
            (Origin::Env, _) => format!("`{ENV_PREFIX}{name}`"),
        }
    }
}

impl Given {
    /// Where the value of param `name` came from, without the value (for
    /// secrets): `` `--param db_password` ``, `` the params file `x.json` ``,
    /// `` `INFRA_PARAM_db_password` ``.
    pub fn source(&self, name: &str) -> String {
        match &self.origin {
            Origin::Flag => format!("`--param {name}`"),
            Origin::File(path) => format!("the params file `{}`", path.display()),
            Origin::Env => format!("`{ENV_PREFIX}{name}`"),
        }
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        let cut: String = text.chars().take(36).collect();
        format!("{cut}...")
    }
}

/// Every compile-time value, by param name, after precedence is applied.
pub type GivenParams = IndexMap<String, Given>;

/// The prefix of environment variables that give params.
pub const ENV_PREFIX: &str = "INFRA_PARAM_";

/// Is `name` spelled like a param name: a letter or `_`, then letters,
/// digits and `_`?
pub fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Gathers compile-time values. Precedence: `--param` over `--params` over
/// the environment. An error is a usage error (exit status 2).
pub fn gather(
    flags: &[String],
    file: Option<&std::path::Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<GivenParams, String> {
    let mut given = GivenParams::new();
    for flag in flags {
        let Some((name, value)) = flag.split_once('=') else {
            return Err(format!(
                "invalid `--param {flag}`: expected NAME=VALUE, as in `--param env=production`"
            ));
        };
        if !is_param_name(name) {
            let what = if name.is_empty() {
                "the name is empty".to_string()
            } else {
                format!("`{name}` is not a param name")
            };
            return Err(format!(
                "invalid `--param {flag}`: {what} (a param name is a letter or `_` followed by letters, digits and `_`)"
            ));
        }
        given.insert(
            name.to_string(),
            Given {
                value: GivenValue::Text(value.to_string()),
                origin: Origin::Flag,
            },
        );
    }
    if let Some(path) = file {
        for (name, value) in read_params_file(path)? {
            given.entry(name).or_insert(Given {
                value: GivenValue::Json(value),
                origin: Origin::File(path.to_path_buf()),
            });
        }
    }
    let mut from_env: Vec<(String, String)> = env
        .into_iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(ENV_PREFIX)?;
            is_param_name(name).then(|| (name.to_string(), value))
        })
        .collect();
    // The environment has no order of its own: sort for stable messages.
    from_env.sort();
    for (name, value) in from_env {
        given.entry(name).or_insert(Given {
            value: GivenValue::Text(value),
            origin: Origin::Env,
        });
    }
    Ok(given)
}

fn read_params_file(
    path: &std::path::Path,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    // A FIFO or a device is refused before it is opened, and the file is
    // held to the default limit: no project is known yet.
    let max = crate::project::Limits::default().max_file_bytes;
    let bytes = crate::workspace::read_regular(path, max)
        .map_err(|e| format!("cannot read the params file {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("the params file {} is not UTF-8 text", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("the params file {} is not valid JSON: {e}", path.display()))?;
    match json {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(format!(
            "the params file {} must hold a JSON object of param names and values, as in {{\"env\": \"production\"}}; it holds {}",
            path.display(),
            match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a bool",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::Object(_) => "an object",
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn env(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn text(given: &GivenParams, name: &str) -> (String, Origin) {
        let g = &given[name];
        match &g.value {
            GivenValue::Text(t) => (t.clone(), g.origin.clone()),
            GivenValue::Json(j) => (j.to_string(), g.origin.clone()),
        }
    }

    fn params_file(json: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(json.as_bytes()).unwrap();
        file
    }

    #[test]
    fn flags_split_at_the_first_equals_sign() {
        let given = gather(&flags(&["env=prod", "query=a=b", "empty="]), None, env(&[])).unwrap();
        assert_eq!(text(&given, "env"), ("prod".into(), Origin::Flag));
        assert_eq!(text(&given, "query"), ("a=b".into(), Origin::Flag));
        assert_eq!(text(&given, "empty"), ("".into(), Origin::Flag));
    }

    #[test]
    fn a_later_flag_overrides_an_earlier_one() {
        let given = gather(&flags(&["n=1", "m=0", "n=2"]), None, env(&[])).unwrap();
        assert_eq!(text(&given, "n").0, "2");
        assert_eq!(given.len(), 2);
    }

    #[test]
    fn malformed_flags_are_usage_errors() {
        let err = gather(&flags(&["env"]), None, env(&[])).unwrap_err();
        assert!(err.contains("NAME=VALUE"), "{err}");
        let err = gather(&flags(&["1x=3"]), None, env(&[])).unwrap_err();
        assert!(err.contains("`1x` is not a param name"), "{err}");
        let err = gather(&flags(&["=3"]), None, env(&[])).unwrap_err();
        assert!(err.contains("the name is empty"), "{err}");
        let err = gather(&flags(&["web-count=3"]), None, env(&[])).unwrap_err();
        assert!(err.contains("web-count"), "{err}");
    }

    #[test]
    fn environment_variables_are_case_sensitive_and_prefixed() {
        let given = gather(
            &[],
            None,
            env(&[
                ("INFRA_PARAM_env", "staging"),
                ("INFRA_PARAM_Env", "other"),
                ("infra_param_lower", "ignored"),
                ("INFRA_PARAM_", "ignored"),
                ("INFRA_PARAM_bad-name", "ignored"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(
            given.keys().collect::<Vec<_>>(),
            ["Env", "env"],
            "sorted, exact names"
        );
        assert_eq!(text(&given, "env"), ("staging".into(), Origin::Env));
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_the_environment() {
        let file = params_file(r#"{"a": "file", "b": 2, "c": [1, 2]}"#);
        let given = gather(
            &flags(&["a=flag"]),
            Some(file.path()),
            env(&[
                ("INFRA_PARAM_a", "env"),
                ("INFRA_PARAM_b", "env"),
                ("INFRA_PARAM_d", "env"),
            ]),
        )
        .unwrap();
        assert_eq!(text(&given, "a"), ("flag".into(), Origin::Flag));
        assert_eq!(given["b"].value, GivenValue::Json(serde_json::json!(2)));
        assert_eq!(given["b"].origin, Origin::File(file.path().to_path_buf()));
        assert_eq!(
            given["c"].value,
            GivenValue::Json(serde_json::json!([1, 2]))
        );
        assert_eq!(text(&given, "d"), ("env".into(), Origin::Env));
    }

    #[test]
    fn a_bad_params_file_is_a_usage_error_naming_it() {
        let missing = std::path::Path::new("/nonexistent/params.json");
        let err = gather(&[], Some(missing), env(&[])).unwrap_err();
        assert!(err.contains("/nonexistent/params.json"), "{err}");
        assert!(err.contains("cannot read"), "{err}");

        let file = params_file("{ not json");
        let err = gather(&[], Some(file.path()), env(&[])).unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
        assert!(err.contains(&file.path().display().to_string()), "{err}");

        let file = params_file("[1, 2]");
        let err = gather(&[], Some(file.path()), env(&[])).unwrap_err();
        assert!(err.contains("JSON object"), "{err}");
        assert!(err.contains("an array"), "{err}");
    }

    #[test]
    fn origins_are_described_as_written() {
        let flag = Given {
            value: GivenValue::Text("25".into()),
            origin: Origin::Flag,
        };
        assert_eq!(flag.describe("n"), "`--param n=25`");
        let env = Given {
            value: GivenValue::Text("25".into()),
            origin: Origin::Env,
        };
        assert_eq!(env.describe("n"), "`INFRA_PARAM_n`");
        let file = Given {
            value: GivenValue::Json(serde_json::json!(25)),
            origin: Origin::File("prod.json".into()),
        };
        assert_eq!(file.describe("n"), "the params file `prod.json`");
    }
}
