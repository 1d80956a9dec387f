//! `junction connector new <name> --lang rust|js|python`: a connector that builds and runs
//! as it is (products from an example JSON API), with its config schema, a README, and
//! everything it needs besides the toolchain: the contract (`wit/`), and for JavaScript and
//! Python the SDK helpers. A Rust connector depends on the SDK crate by path.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::Lang;
use super::files::{self, File};

/// What to create.
#[derive(Debug)]
pub struct NewConnector {
    /// The connector's key: lowercase letters, digits and `-`, starting with a letter.
    pub name: String,
    pub lang: Lang,
    /// Where (default `./<name>`); must not exist or be empty.
    pub dir: PathBuf,
    /// The Rust SDK crate (`sdk/` of a Junction checkout); found by itself when the
    /// directory is inside a checkout or the binary was built from one.
    pub sdk: Option<PathBuf>,
}

/// Create the connector; returns the files written, relative to its directory.
pub fn create(new: &NewConnector) -> anyhow::Result<Vec<String>> {
    check_name(&new.name)?;
    if new.dir.exists()
        && std::fs::read_dir(&new.dir)
            .with_context(|| format!("reading {}", new.dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty: choose another --dir or name",
            new.dir.display()
        );
    }
    let title = title(&new.name);
    let mut out: Vec<(String, String)> = files::WIT.iter().copied().map(own).collect();
    match new.lang {
        Lang::Rust => {
            let sdk = find_sdk(new.sdk.as_deref(), &new.dir)?;
            let cargo = files::RUST_CARGO_TOML
                .replace("{{name}}", &new.name)
                .replace("{{sdk}}", &toml_path(&sdk));
            out.push(("Cargo.toml".into(), cargo));
            out.push(fill(files::RUST_LIB, &new.name, &title));
            out.push(own(files::RUST_TOOLCHAIN));
            out.push((".gitignore".into(), "target/\n*.wasm\n".into()));
        }
        Lang::Js => {
            let connector = files::JS_CONNECTOR
                .1
                .replace("'../lib/", "'./lib/")
                .replace("template-js", &new.name)
                .replace("Example API (JavaScript template)", &title);
            out.push((files::JS_CONNECTOR.0.into(), connector));
            out.extend(files::JS_LIB.iter().copied().map(|(path, text)| {
                // The template's test runs from the SDK folder; a scaffold has lib/ beside it.
                let text = text.replace("--import ../lib/native/", "--import ./lib/native/");
                (path.to_string(), text)
            }));
            out.push((".gitignore".into(), "*.wasm\n".into()));
        }
        Lang::Python => {
            let app = files::PY_APP
                .1
                .replace("template-py", &new.name)
                .replace("Example API (Python template)", &title);
            out.push((files::PY_APP.0.into(), app));
            out.extend(files::PY_SDK.iter().copied().map(own));
            out.push((
                ".gitignore".into(),
                "*.wasm\n__pycache__/\nbindings/\n".into(),
            ));
        }
    }
    out.push(("README.md".into(), readme(new, &title)));
    for (path, text) in &out {
        let target = new.dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(out.into_iter().map(|(path, _)| path).collect())
}

/// A connector key, as the manifest check wants it.
fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let ok = name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!(
            "name `{name}` is not a connector key: 1-63 lowercase letters, digits and `-`, starting with a letter (e.g. `my-shop`)"
        );
    }
    Ok(())
}

/// `my-shop` → `My shop`, the manifest's name to start from.
fn title(name: &str) -> String {
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn own((path, text): File) -> (String, String) {
    (path.into(), text.into())
}

fn fill((path, text): File, name: &str, title: &str) -> (String, String) {
    (
        path.into(),
        text.replace("{{name}}", name).replace("{{title}}", title),
    )
}

/// A path as a TOML basic string's contents.
fn toml_path(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

/// The Rust SDK: `--sdk`, else `sdk/` of a Junction checkout above `dir`, else the one this
/// binary was built from.
fn find_sdk(given: Option<&Path>, dir: &Path) -> anyhow::Result<PathBuf> {
    let is_sdk = |p: &Path| {
        std::fs::read_to_string(p.join("Cargo.toml"))
            .is_ok_and(|t| t.contains("name = \"junction-sdk\""))
    };
    if let Some(path) = given {
        let path = std::path::absolute(path)?;
        if !is_sdk(&path) {
            bail!(
                "--sdk {}: no junction-sdk crate there (expected the `sdk/` folder of a Junction checkout)",
                path.display()
            );
        }
        return Ok(path);
    }
    let start = std::path::absolute(dir)?;
    let above = start.ancestors().map(|a| a.join("sdk"));
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("sdk");
    above
        .chain(std::iter::once(built_from))
        .find(|p| is_sdk(p))
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the Rust SDK (junction-sdk) is not published yet: pass --sdk <path to the `sdk/` folder of a Junction checkout>"
            )
        })
}

fn readme(new: &NewConnector, title: &str) -> String {
    let name = &new.name;
    let edit = match new.lang {
        Lang::Rust => {
            "`src/lib.rs` (the manifest, `check`, `list`, `get`, `write`; `cargo test` runs its unit tests)"
        }
        Lang::Js => {
            "`connector.js` (helpers in `lib/`: HTTP over wasi:http, contract errors, pages; its unit tests in `test/` run natively in a second: `node --import ./lib/native/register.js --test test/`)"
        }
        Lang::Python => {
            "`app.py` (helpers in `junction_sdk/`: HTTP over wasi:http, contract errors, pages; its unit tests in `tests/` run natively in a second once `connector build` has written `bindings/`: `PYTHONPATH=bindings python3 -m unittest discover -s tests -t .`)"
        }
    };
    format!(
        "# {title}\n\n\
         A Junction connector ({lang}), made by `junction connector new`. It reads products from an\n\
         example JSON API (`GET {{base_url}}/items?page=N&per_page=M`, `X-API-Key`): edit {edit}\n\
         for your system. The contract is `wit/connector.wit`.\n\n\
         ```sh\n\
         junction connector build .                      # → {name}.wasm (the toolchain installs on first use)\n\
         junction connector inspect {name}.wasm\n\
         junction connector call {name}.wasm --allow-private-networks \\\n\
         \x20 --config '{{\"base_url\":\"http://127.0.0.1:8000\",\"api_key\":\"…\"}}' list products --all\n\
         junction connector examples                     # the JSON of every write\n\
         ```\n\n\
         Then drop `{name}.wasm` into a server's `<data-dir>/plugins` (or `junction admin connectors\n\
         upload {name}.wasm`): it loads at once.\n",
        lang = new.lang.as_str(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_manifest_rule() {
        assert!(check_name("my-shop2").is_ok());
        for bad in ["", "My-shop", "2shop", "my_shop", "shop!"] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains("lowercase letters"), "{bad}: {e}");
        }
        assert_eq!(title("my-shop"), "My shop");
    }

    #[test]
    fn every_language_gets_the_contract_its_helpers_and_a_readme() {
        let root = tempfile::tempdir().unwrap();
        for (lang, must) in [
            (
                Lang::Js,
                vec![
                    "connector.js",
                    "lib/pages.js",
                    "wit/connector.wit",
                    "README.md",
                ],
            ),
            (
                Lang::Python,
                vec![
                    "app.py",
                    "junction_sdk/pages.py",
                    "wit/connector.wit",
                    "README.md",
                ],
            ),
            (
                Lang::Rust,
                vec![
                    "Cargo.toml",
                    "src/lib.rs",
                    "rust-toolchain.toml",
                    "wit/connector.wit",
                ],
            ),
        ] {
            let dir = root.path().join(lang.as_str());
            let written = create(&NewConnector {
                name: "my-shop".into(),
                lang,
                dir: dir.clone(),
                sdk: None,
            })
            .unwrap();
            for file in must {
                assert!(
                    written.iter().any(|w| w == file),
                    "{lang:?}: {file} in {written:?}"
                );
            }
            let main = std::fs::read_to_string(dir.join(&written[8])).unwrap_or_default();
            let all: String = written
                .iter()
                .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
                .collect();
            assert!(all.contains("my-shop"), "{lang:?}: the key is set");
            assert!(
                !all.contains("template-js")
                    && !all.contains("template-py")
                    && !["{{name}}", "{{title}}", "{{sdk}}"]
                        .iter()
                        .any(|p| all.contains(p)),
                "{lang:?}"
            );
            assert!(
                !main.contains("'../lib/"),
                "{lang:?}: helpers are beside it"
            );
            // A second time into the same place is refused.
            let again = create(&NewConnector {
                name: "my-shop".into(),
                lang,
                dir: dir.clone(),
                sdk: None,
            });
            assert!(again.unwrap_err().to_string().contains("not empty"));
        }
        let cargo = std::fs::read_to_string(root.path().join("rust/Cargo.toml")).unwrap();
        assert!(
            cargo.contains("junction-sdk = { path = \"") && cargo.contains("[workspace]"),
            "{cargo}"
        );
    }
}
