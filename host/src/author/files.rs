//! The files a scaffold is made of, compiled into the binary from this repository: the
//! templates, the JavaScript and Python SDK helpers, the contract, and the toolchain pins.

/// (path in the scaffold, contents)
pub type File = (&'static str, &'static str);

/// The contract and the WASI packages it uses.
pub const WIT: [File; 8] = [
    (
        "wit/connector.wit",
        include_str!("../../../wit/connector.wit"),
    ),
    (
        "wit/deps/cli.wit",
        include_str!("../../../wit/deps/cli.wit"),
    ),
    (
        "wit/deps/clocks.wit",
        include_str!("../../../wit/deps/clocks.wit"),
    ),
    (
        "wit/deps/filesystem.wit",
        include_str!("../../../wit/deps/filesystem.wit"),
    ),
    (
        "wit/deps/http.wit",
        include_str!("../../../wit/deps/http.wit"),
    ),
    ("wit/deps/io.wit", include_str!("../../../wit/deps/io.wit")),
    (
        "wit/deps/random.wit",
        include_str!("../../../wit/deps/random.wit"),
    ),
    (
        "wit/deps/sockets.wit",
        include_str!("../../../wit/deps/sockets.wit"),
    ),
];

pub const RUST_CARGO_TOML: &str = include_str!("../../../sdk/template-rust/Cargo.toml.in");
pub const RUST_LIB: File = (
    "src/lib.rs",
    include_str!("../../../sdk/template-rust/src/lib.rs"),
);
pub const RUST_TOOLCHAIN: File = (
    "rust-toolchain.toml",
    include_str!("../../../rust-toolchain.toml"),
);

pub const JS_CONNECTOR: File = (
    "connector.js",
    include_str!("../../../sdk/javascript/template/connector.js"),
);
pub const JS_LIB: [File; 13] = [
    (
        "lib/native/register.js",
        include_str!("../../../sdk/javascript/lib/native/register.js"),
    ),
    (
        "lib/native/hooks.js",
        include_str!("../../../sdk/javascript/lib/native/hooks.js"),
    ),
    (
        "lib/native/host.js",
        include_str!("../../../sdk/javascript/lib/native/host.js"),
    ),
    (
        "test/connector.test.js",
        include_str!("../../../sdk/javascript/template/test/connector.test.js"),
    ),
    (
        "lib/batch.js",
        include_str!("../../../sdk/javascript/lib/batch.js"),
    ),
    (
        "lib/errors.js",
        include_str!("../../../sdk/javascript/lib/errors.js"),
    ),
    (
        "lib/http.js",
        include_str!("../../../sdk/javascript/lib/http.js"),
    ),
    (
        "lib/pages.js",
        include_str!("../../../sdk/javascript/lib/pages.js"),
    ),
    (
        "lib/config.js",
        include_str!("../../../sdk/javascript/lib/config.js"),
    ),
    (
        "lib/decimal.js",
        include_str!("../../../sdk/javascript/lib/decimal.js"),
    ),
    (
        "lib/paging.js",
        include_str!("../../../sdk/javascript/lib/paging.js"),
    ),
    (
        "lib/time.js",
        include_str!("../../../sdk/javascript/lib/time.js"),
    ),
    (
        "lib/url.js",
        include_str!("../../../sdk/javascript/lib/url.js"),
    ),
];
/// The pinned JavaScript toolchain (componentize-js), installed by `npm install`.
pub const JS_TOOLCHAIN: [File; 2] = [
    (
        "package.json",
        include_str!("../../../sdk/javascript/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../../sdk/javascript/package-lock.json"),
    ),
];

pub const PY_APP: File = (
    "app.py",
    include_str!("../../../sdk/python/template/app.py"),
);
pub const PY_SDK: [File; 13] = [
    (
        "junction_sdk/native.py",
        include_str!("../../../sdk/python/junction_sdk/native.py"),
    ),
    (
        "tests/__init__.py",
        include_str!("../../../sdk/python/template/tests/__init__.py"),
    ),
    (
        "tests/test_app.py",
        include_str!("../../../sdk/python/template/tests/test_app.py"),
    ),
    (
        "junction_sdk/__init__.py",
        include_str!("../../../sdk/python/junction_sdk/__init__.py"),
    ),
    (
        "junction_sdk/batch.py",
        include_str!("../../../sdk/python/junction_sdk/batch.py"),
    ),
    (
        "junction_sdk/errors.py",
        include_str!("../../../sdk/python/junction_sdk/errors.py"),
    ),
    (
        "junction_sdk/http.py",
        include_str!("../../../sdk/python/junction_sdk/http.py"),
    ),
    (
        "junction_sdk/pages.py",
        include_str!("../../../sdk/python/junction_sdk/pages.py"),
    ),
    (
        "junction_sdk/config.py",
        include_str!("../../../sdk/python/junction_sdk/config.py"),
    ),
    (
        "junction_sdk/decimal.py",
        include_str!("../../../sdk/python/junction_sdk/decimal.py"),
    ),
    (
        "junction_sdk/paging.py",
        include_str!("../../../sdk/python/junction_sdk/paging.py"),
    ),
    (
        "junction_sdk/time.py",
        include_str!("../../../sdk/python/junction_sdk/time.py"),
    ),
    (
        "junction_sdk/url.py",
        include_str!("../../../sdk/python/junction_sdk/url.py"),
    ),
];
/// The pinned Python toolchain (componentize-py), installed by `pip install -r`.
pub const PY_TOOLCHAIN: File = (
    "requirements-build.txt",
    include_str!("../../../sdk/python/requirements-build.txt"),
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every module of the JavaScript and Python SDKs goes into a scaffold: a helper added
    /// to the SDK but not here would be missing from every new connector.
    #[test]
    fn every_sdk_module_is_in_the_scaffold() {
        let sdk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        let listed = |files: &[File]| -> Vec<String> {
            files.iter().map(|(path, _)| (*path).to_owned()).collect()
        };
        for (dir, prefix, ext, files) in [
            ("javascript/lib", "lib/", ".js", listed(&JS_LIB)),
            (
                "python/junction_sdk",
                "junction_sdk/",
                ".py",
                listed(&PY_SDK),
            ),
        ] {
            for entry in std::fs::read_dir(sdk.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if name.ends_with(ext) {
                    let path = format!("{prefix}{name}");
                    assert!(
                        files.contains(&path),
                        "{path} is not in the scaffold's files"
                    );
                }
            }
        }
    }
}
