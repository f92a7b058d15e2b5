//! A seeded random source and a mutator that knows YAML: byte edits, dictionary tokens,
//! line edits, number swaps, and splices from other corpus entries.

use fluxgen_core::{Component, config::config_schema, facts};
use serde_json::Value;

/// The largest input the mutator produces.
pub const MAX_INPUT: usize = 1 << 20;

/// A small deterministic random source (SplitMix64): the same seed gives the same run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A source started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// Random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Mutates corpus entries.
pub struct Mutator {
    /// Tokens to insert.
    pub dictionary: Vec<Vec<u8>>,
}

/// Bytes that often matter to a YAML parser.
const INTERESTING_BYTES: &[u8] = b"\0\t\n\r :-?|>!&*#%@`'\"{}[],\\~\x7f\x80\xc3\xef\xff";

/// Numbers that often matter.
const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "256",
    "65535",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "1e309",
    "-0",
    "0.5",
    ".inf",
    "-.inf",
    ".nan",
    "0x10",
    "0o17",
    "1_000",
    "99999999999999999999999999999999",
];

impl Mutator {
    /// A mutator inserting `dictionary` tokens.
    pub fn new(dictionary: Vec<Vec<u8>>) -> Self {
        Self { dictionary }
    }

    /// One to six stacked mutations of `input`; `corpus` feeds splices.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut data = input.to_vec();
        let rounds = 1 + rng.below(6);
        for _ in 0..rounds {
            self.mutate_once(rng, &mut data, corpus);
            if data.len() > MAX_INPUT {
                data.truncate(MAX_INPUT);
            }
        }
        data
    }

    fn mutate_once(&self, rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let at = rng.below(data.len() + 1);
        match rng.below(14) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
            }
            2 | 3 if !self.dictionary.is_empty() => {
                let token = &self.dictionary[rng.below(self.dictionary.len())];
                let at = if rng.one_in(2) { line_start(data, at) } else { at };
                data.splice(at..at, token.iter().copied());
            }
            4 if !data.is_empty() => {
                let len = 1 + rng.below(32.min(data.len()));
                let start = rng.below(data.len() - len + 1);
                data.drain(start..start + len);
            }
            5 if !data.is_empty() => {
                let len = 1 + rng.below(64.min(data.len()));
                let start = rng.below(data.len() - len + 1);
                let chunk = data[start..start + len].to_vec();
                data.splice(at..at, chunk);
            }
            6 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let len = 1 + rng.below(256.min(other.len()));
                    let start = rng.below(other.len() - len + 1);
                    let end = (at + rng.below(64)).min(data.len());
                    data.splice(at..end, other[start..start + len].iter().copied());
                }
            }
            7 | 8 => line_edit(rng, data),
            9 => replace_word(rng, data, &self.dictionary),
            10 => {
                let number = INTERESTING_NUMBERS[rng.below(INTERESTING_NUMBERS.len())];
                match find_run(rng, data, |b| b.is_ascii_digit()) {
                    Some((start, end)) => {
                        data.splice(start..end, number.bytes());
                    }
                    None => {
                        data.splice(at..at, number.bytes());
                    }
                }
            }
            11 if !data.is_empty() => {
                // Repeat a chunk: long lines, deep nesting, many keys.
                let len = 1 + rng.below(16.min(data.len()));
                let start = rng.below(data.len() - len + 1);
                let chunk = data[start..start + len].to_vec();
                let most = if rng.one_in(8) { 4096 } else { 32 };
                let times = 2 + rng.below(most);
                let repeated: Vec<u8> = chunk.iter().copied().cycle().take(chunk.len() * times).collect();
                data.splice(start..start, repeated);
            }
            12 => {
                let len = 1 + rng.below(8);
                let bytes = rng.bytes(len);
                data.splice(at..at, bytes);
            }
            _ if !data.is_empty() => {
                // Cut the tail: unterminated quotes, flows and blocks.
                data.truncate(rng.below(data.len()));
            }
            _ => data.extend_from_slice(b"a: 1\n"),
        }
    }
}

fn line_start(data: &[u8], at: usize) -> usize {
    data[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
}

/// `(start, end)` of each line, end excluding the newline.
fn lines(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push((start, data.len()));
    }
    out
}

fn line_edit(rng: &mut Rng, data: &mut Vec<u8>) {
    let all = lines(data);
    if all.is_empty() {
        return;
    }
    let (start, end) = all[rng.below(all.len())];
    match rng.below(6) {
        0 => {
            let stop = (end + 1).min(data.len());
            data.drain(start..stop);
        }
        1 => {
            let mut line = data[start..end].to_vec();
            line.push(b'\n');
            data.splice(start..start, line);
        }
        2 => {
            data.splice(start..start, *b"  ");
        }
        3 => {
            let spaces = data[start..end].iter().take_while(|b| **b == b' ').count().min(2);
            data.drain(start..start + spaces);
        }
        4 => {
            let (other_start, other_end) = all[rng.below(all.len())];
            let (a, b) = if other_start < start {
                ((other_start, other_end), (start, end))
            } else {
                ((start, end), (other_start, other_end))
            };
            if a.1 <= b.0 {
                let first = data[a.0..a.1].to_vec();
                let second = data[b.0..b.1].to_vec();
                data.splice(b.0..b.1, first);
                data.splice(a.0..a.1, second);
            }
        }
        _ => {
            // Move the line into a flow or behind a sequence dash.
            let token: &[u8] = [&b"- "[..], b"? ", b"{", b"[", b"&x ", b"*x\n", b"!!str "][rng.below(7)];
            let at = start + data[start..end].iter().take_while(|b| **b == b' ').count();
            data.splice(at..at, token.iter().copied());
        }
    }
}

/// A random run of bytes matching `class`.
fn find_run(rng: &mut Rng, data: &[u8], class: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
    if data.is_empty() {
        return None;
    }
    let from = rng.below(data.len());
    let start = (from..data.len()).chain(0..from).find(|i| class(data[*i]))?;
    let start = data[..start].iter().rposition(|b| !class(*b)).map_or(0, |i| i + 1);
    let end = data[start..]
        .iter()
        .position(|b| !class(*b))
        .map_or(data.len(), |i| start + i);
    Some((start, end))
}

fn replace_word(rng: &mut Rng, data: &mut Vec<u8>, dictionary: &[Vec<u8>]) {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    if let Some((start, end)) = find_run(rng, data, word)
        && !dictionary.is_empty()
    {
        let token = dictionary[rng.below(dictionary.len())].clone();
        data.splice(start..end, token);
    }
}

/// YAML syntax that parsers get wrong.
const YAML_TOKENS: &[&str] = &[
    ": ",
    ":",
    "- ",
    "? ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\"",
    "'",
    "\\",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    "#",
    "\t",
    "\n",
    "\n  ",
    "\n    ",
    "\r\n",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "&b [*a, *a, *a, *a]",
    "<<: *a\n",
    "<<: ",
    "!!str ",
    "!!int ",
    "!!map ",
    "!!binary ",
    "!custom ",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "\u{feff}",
    "\u{85}",
    "\u{2028}",
    "\u{1F600}",
    "''",
    "\"\"",
    "{}",
    "[]",
    "\"\\u0000\"",
    "\"\\x41\"",
    "\"\\ud800\"",
    "1:2:3",
    "2001-12-14",
    "0o7",
    "=",
    "@",
    "`",
];

/// Values fluxgen's config accepts or nearly accepts.
const CONFIG_VALUES: &[&str] = &[
    "prepare",
    "operator",
    "instance",
    "cutover",
    "complete",
    "helmrelease",
    "manifest",
    "github",
    "gitlab",
    "generic-hmac",
    "none",
    "home-ops",
    "5s",
    "1h",
    "500ms",
    "1h30m",
    "0s",
    "1.5h",
    "5 s",
    "10",
    "2Gi",
    "512Mi",
    "500m",
    "1.5Gi",
    "2 gigs",
    "0.58.1",
    "v0.58.1",
    "2.9.x",
    "refs/heads/main",
    "main",
    "ssh://git@github.com/example/haynes-ops",
    "https://github.com/example/fleet",
    "kubernetes/{cluster}/apps/flux-system",
    "kubernetes/{cluster}/sync",
    "{cluster}",
    "../x",
    "/abs",
    "a//b",
    "edge",
    "main",
    "Edge_1",
    "a/b",
    "..",
    "HelmRelease",
    "OCIRepository",
    "Kustomization",
    "FluxInstance",
    "ExternalSecret",
    "Receiver",
    "Deployment",
    "flux-operator",
    "flux-instance",
    "flux-system",
    "/spec/values",
    "/spec/interval",
    "/metadata/labels/x",
    "add",
    "remove",
    "replace",
    "move",
    "copy",
    "test",
    "$patch",
    "delete",
    "--concurrent=20",
    "trace",
    "debug",
    "info",
    "error",
    "small",
    "medium",
    "large",
    "owner!=helm",
    "sops-age",
    "ConfigMap",
    "Secret",
];

/// Tokens for the config targets: YAML syntax, every key and enum value of fluxgen's schema,
/// the components, their feature gates, and values that nearly pass.
pub fn config_dictionary() -> Vec<Vec<u8>> {
    let mut words: Vec<String> = YAML_TOKENS
        .iter()
        .chain(CONFIG_VALUES)
        .map(|s| (*s).to_owned())
        .collect();
    collect_schema_words(&config_schema(), &mut words);
    for component in Component::ALL {
        words.push(component.as_str().to_owned());
        words.extend(facts::feature_gates(component).iter().map(|g| (*g).to_owned()));
    }
    words.sort();
    words.dedup();
    let mut out: Vec<Vec<u8>> = words.iter().map(|w| w.clone().into_bytes()).collect();
    // Keys as they are written.
    out.extend(
        words
            .iter()
            .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(|w| format!("{w}: ").into_bytes()),
    );
    out
}

fn collect_schema_words(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                out.extend(properties.keys().cloned());
            }
            if let Some(Value::Array(values)) = map.get("enum") {
                out.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let Some(Value::String(constant)) = map.get("const") {
                out.push(constant.clone());
            }
            map.values().for_each(|v| collect_schema_words(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_schema_words(v, out)),
        _ => {}
    }
}

/// Tokens for the scanner: YAML syntax, Kubernetes and Flux keys, kustomize fields, paths and
/// the file and symlink headers of a scan input.
pub fn scan_dictionary() -> Vec<Vec<u8>> {
    const WORDS: &[&str] = &[
        "apiVersion: ",
        "kind: ",
        "metadata:\n  name: x\n  namespace: flux-system\n",
        "spec:\n",
        "resources:\n  - ",
        "components:\n  - ",
        "patches:\n  - ",
        "configMapGenerator:\n  - name: values\n    files:\n      - values.yaml=./values.yaml\n",
        "secretGenerator:\n",
        "valuesFrom:\n  - kind: ConfigMap\n    name: values\n",
        "sourceRef:\n  kind: GitRepository\n  name: flux-system\n",
        "path: ./kubernetes/main\n",
        "path: ",
        "postBuild:\n  substituteFrom:\n    - kind: Secret\n      name: cluster-secrets\n",
        "decryption:\n  provider: sops\n  secretRef:\n    name: sops-age\n",
        "sops:\n  age: []\n  mac: ENC[AES256_GCM,data:x]\n",
        "chartRef:\n  kind: OCIRepository\n  name: flux-instance\n",
        "values:\n  instance:\n    sync:\n      kind: GitRepository\n      url: x\n      path: y\n",
        "kustomize.config.k8s.io/v1beta1",
        "kustomize.toolkit.fluxcd.io/v1",
        "source.toolkit.fluxcd.io/v1",
        "helm.toolkit.fluxcd.io/v2",
        "notification.toolkit.fluxcd.io/v1",
        "fluxcd.controlplane.io/v1",
        "Kustomization",
        "GitRepository",
        "OCIRepository",
        "HelmRelease",
        "FluxInstance",
        "Receiver",
        "Alert",
        "Provider",
        "Component",
        "github.com/fluxcd/flux2/manifests/install?ref=v2.4.0",
        "https://github.com/fluxcd/flux2/releases/download/v2.4.0/install.yaml",
        "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance",
        "./",
        "../",
        "../..",
        "/",
        "//",
        "*",
        "./ks.yaml",
        "./app",
        "ENC[AES256_GCM,data:ZmFrZS1maXh0dXJlLXZhbHVl,type:str]",
        "{{ .Values.x }}",
        "#{ x }#",
        "\n@@ kustomization.yaml\n",
        "\n@@ app/kustomization.yaml\n",
        "\n@@ flux/ks.yaml\n",
        "\n@@ vars/cluster-secrets.sops.yaml\n",
        "\n@@ app/values.yaml\n",
        "\n@@ loop -> .\n",
        "\n@@ app/up -> ..\n",
        "\n@@ out -> ../outside\n",
        "\n@@ dangling -> nowhere\n",
        "\n@@ self -> self\n",
        "\n@@ a.yaml -> b.yaml\n@@ b.yaml -> a.yaml\n",
        "\n@@ dir/\n",
    ];
    let mut out: Vec<Vec<u8>> = YAML_TOKENS.iter().map(|s| s.as_bytes().to_vec()).collect();
    out.extend(WORDS.iter().map(|s| s.as_bytes().to_vec()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        let mutator = Mutator::new(config_dictionary());
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutator.mutate(&mut rng, b"a: 1\nb: [x, y]\n", &[]))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn the_config_dictionary_knows_the_schema_keys_and_feature_gates() {
        let words = config_dictionary();
        for word in [
            "featureGates",
            "requeueDependency",
            "DisableChartDigestTracking",
            "helm-controller",
        ] {
            assert!(words.iter().any(|w| w == word.as_bytes()), "{word}");
        }
    }
}
