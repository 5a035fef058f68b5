//! `docs/manifest.md` is the manifest's specification: every TOML example in it parses (or,
//! for the one with mistakes, fails with exactly the problems the page lists), and the
//! limits and errors it quotes are the parser's.

use faxbot_policy::manifest::{Manifest, ResourceCeilings};

const SPEC: &str = include_str!("../../docs/manifest.md");

/// The fenced blocks of the page: (language, body).
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = SPEC.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            out.push((lang.to_owned(), body.join("\n")));
        }
    }
    out
}

fn parse(text: &str) -> Result<Manifest, Vec<String>> {
    Manifest::parse(text, &ResourceCeilings::default())
        .map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

#[test]
fn every_example_in_manifest_md_parses_or_fails_exactly_as_the_page_says() {
    let blocks = blocks();
    let tomls: Vec<usize> = (0..blocks.len())
        .filter(|i| blocks[*i].0 == "toml")
        .collect();
    assert!(tomls.len() >= 4, "the page lost its examples");
    let mut failing = 0;
    for i in tomls {
        let text = &blocks[i].1;
        match parse(text) {
            Ok(manifest) => assert!(!manifest.id.is_empty()),
            Err(problems) => {
                failing += 1;
                let (lang, listed) = blocks.get(i + 1).expect("the problems follow the example");
                assert!(
                    lang.is_empty(),
                    "problems are a plain block after the example"
                );
                let listed: Vec<&str> = listed.lines().collect();
                assert_eq!(problems, listed, "docs/manifest.md lists other problems");
            }
        }
    }
    assert_eq!(failing, 1, "exactly one example is the one with mistakes");
}

#[test]
fn the_python_example_names_its_runtime_and_a_native_one_names_none() {
    let blocks = blocks();
    let manifests: Vec<Manifest> = blocks
        .iter()
        .filter(|(lang, _)| lang == "toml")
        .filter_map(|(_, text)| parse(text).ok())
        .collect();
    let python = manifests
        .iter()
        .find(|m| m.id == "py-echo")
        .expect("the python example");
    assert_eq!(python.runtime.as_deref(), Some("python3"));
    assert_eq!(python.config.0.len(), 5, "one setting of each type");
    let native = manifests
        .iter()
        .find(|m| m.id == "slack-notify")
        .expect("the native example");
    assert_eq!(native.runtime, None);
}

#[test]
fn the_limits_the_page_quotes_are_the_parsers() {
    let base = "id = \"abc\"\nname = \"n\"\nversion = \"1.0.0\"\npublisher = \"me\"\nmin_core_version = \"0.1.0\"\nentry = \"e\"\n";
    assert!(parse(base).is_ok());
    // 65536 bytes at most.
    let padded = format!("{base}description = \"{}\"\n", "x".repeat(70_000));
    let why = parse(&padded).expect_err("too large");
    assert!(why[0].contains("65536"), "{why:?}");
    // The defaults of [resources] with the default ceilings.
    let m = parse(base).expect("parses");
    assert_eq!(m.resources.memory_bytes, 100 << 20);
    assert_eq!(m.resources.cpu_percent, 100);
    assert_eq!(m.resources.pids, 64);
    assert_eq!(m.resources.scratch_bytes, 16 << 20);
    assert_eq!(m.capabilities.kv_quota_bytes, 0);
    assert_eq!(m.runtime, None);
    // 64 list entries at most, 8 categories.
    let many: Vec<String> = (0..65).map(|i| format!("\"/r{i}\"")).collect();
    let why = parse(&format!(
        "{base}[capabilities]\nroutes = [{}]\n",
        many.join(",")
    ))
    .expect_err("too many routes");
    assert!(why.iter().any(|w| w.contains("at most 64")), "{why:?}");
    let cats: Vec<String> = (0..9).map(|i| format!("\"c{i}\"")).collect();
    let why = parse(&format!("{base}categories = [{}]\n", cats.join(",")))
        .expect_err("too many categories");
    assert!(why.iter().any(|w| w.contains("at most 8")), "{why:?}");
    // A runtime name.
    let why = parse(&format!("{base}runtime = \"Python 3\"\n")).expect_err("bad runtime");
    assert!(why[0].starts_with("runtime: "), "{why:?}");
    assert!(parse(&format!("{base}runtime = \"node\"\n")).is_ok());
    // The host ceilings quoted in the [resources] table.
    let c = ResourceCeilings::default();
    assert_eq!(
        (
            c.memory_bytes,
            c.cpu_percent,
            c.pids,
            c.scratch_bytes,
            c.kv_quota_bytes
        ),
        (1 << 30, 200, 256, 256 << 20, 64 << 20)
    );
}
