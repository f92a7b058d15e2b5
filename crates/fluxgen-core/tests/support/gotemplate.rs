//! A Go `text/template` renderer for the subset the Flux Operator's builder templates use
//! (`internal/builder/templates.go`): text with `{{- ... -}}` trimming, `.Field.Path`, `$var`,
//! `$.Field`, `:=`, `if` / `else if` / `else`, `range` (with `$i, $x :=`), and the functions
//! `eq`, `ge`, `gt`, `le`, `len`, `and`, `not`, with parentheses. Data is JSON, as the builder's
//! `Options` struct would marshal (field names as in Go). Anything outside the subset is an
//! error, so a template the operator changes cannot be rendered silently wrong.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug)]
enum Node {
    Text(String),
    Output(Expr),
    Assign(String, Expr),
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    Range {
        key: Option<String>,
        value: Option<String>,
        over: Expr,
        body: Vec<Node>,
    },
}

#[derive(Clone, Debug)]
enum Expr {
    Dot(Vec<String>),
    Root(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Call(String, Vec<Expr>),
}

/// Renders `template` with `data`.
pub fn render(template: &str, data: &Value) -> Result<String, String> {
    let tokens = lex(template)?;
    let mut at = 0;
    let (nodes, end) = parse(&tokens, &mut at)?;
    if let Some(end) = end {
        return Err(format!("unexpected {{{{{end}}}}}"));
    }
    let mut out = String::new();
    let mut vars = BTreeMap::new();
    exec(&nodes, data, data, &mut vars, &mut out)?;
    Ok(out)
}

enum Token {
    Text(String),
    Action(String),
}

fn lex(template: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = template;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut text = rest[..open].to_owned();
        if trim_next {
            text = text.trim_start().to_owned();
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or("an unclosed action")?;
        let mut body = &after[..close];
        if let Some(stripped) = body.strip_prefix("- ") {
            text = text.trim_end().to_owned();
            body = stripped;
        }
        trim_next = false;
        if let Some(stripped) = body.strip_suffix(" -") {
            trim_next = true;
            body = stripped;
        }
        tokens.push(Token::Text(text));
        tokens.push(Token::Action(body.trim().to_owned()));
        rest = &after[close + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    tokens.push(Token::Text(text.to_owned()));
    Ok(tokens)
}

/// Parses nodes up to an `else`/`end` action, which is returned.
fn parse(tokens: &[Token], at: &mut usize) -> Result<(Vec<Node>, Option<String>), String> {
    let mut nodes = Vec::new();
    while *at < tokens.len() {
        let token = &tokens[*at];
        *at += 1;
        let action = match token {
            Token::Text(text) => {
                nodes.push(Node::Text(text.clone()));
                continue;
            }
            Token::Action(action) => action.as_str(),
        };
        if action == "end" || action == "else" || action.starts_with("else if ") {
            return Ok((nodes, Some(action.to_owned())));
        }
        if let Some(condition) = action.strip_prefix("if ") {
            let mut branches = Vec::new();
            let mut condition = expr(condition)?;
            loop {
                let (body, end) = parse(tokens, at)?;
                branches.push((condition, body));
                match end.as_deref() {
                    Some("end") => {
                        nodes.push(Node::If(branches, Vec::new()));
                        break;
                    }
                    Some("else") => {
                        let (otherwise, end) = parse(tokens, at)?;
                        if end.as_deref() != Some("end") {
                            return Err("an else without end".into());
                        }
                        nodes.push(Node::If(branches, otherwise));
                        break;
                    }
                    Some(other) if other.starts_with("else if ") => condition = expr(&other[8..])?,
                    _ => return Err("an if without end".into()),
                }
            }
        } else if let Some(spec) = action.strip_prefix("range ") {
            let (key, value, over) = match spec.split_once(":=") {
                Some((vars, over)) => {
                    let names: Vec<String> = vars
                        .split(',')
                        .map(|v| v.trim().trim_start_matches('$').to_owned())
                        .collect();
                    match names.as_slice() {
                        [value] => (None, Some(value.clone()), over),
                        [key, value] => (Some(key.clone()), Some(value.clone()), over),
                        _ => return Err(format!("range {spec}")),
                    }
                }
                None => (None, None, spec),
            };
            let (body, end) = parse(tokens, at)?;
            if end.as_deref() != Some("end") {
                return Err("a range without end".into());
            }
            nodes.push(Node::Range {
                key,
                value,
                over: expr(over)?,
                body,
            });
        } else if let Some((var, value)) = action.split_once(":=") {
            nodes.push(Node::Assign(
                var.trim().trim_start_matches('$').to_owned(),
                expr(value)?,
            ));
        } else {
            nodes.push(Node::Output(expr(action)?));
        }
    }
    Ok((nodes, None))
}

fn words(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' => {
                chars.next();
            }
            '(' | ')' => {
                out.push(c.to_string());
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::from("\"");
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    s.push(c);
                }
                out.push(s);
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' || c == '(' || c == ')' {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(s);
            }
        }
    }
    Ok(out)
}

fn expr(text: &str) -> Result<Expr, String> {
    let words = words(text)?;
    let mut at = 0;
    let parsed = command(&words, &mut at)?;
    if at != words.len() {
        return Err(format!("cannot read `{text}`"));
    }
    Ok(parsed)
}

fn command(words: &[String], at: &mut usize) -> Result<Expr, String> {
    let first = words.get(*at).ok_or("an empty expression")?;
    if matches!(first.as_str(), "eq" | "ge" | "gt" | "le" | "len" | "and" | "not") {
        *at += 1;
        let mut args = Vec::new();
        while *at < words.len() && words[*at] != ")" {
            args.push(term(words, at)?);
        }
        return Ok(Expr::Call(first.clone(), args));
    }
    term(words, at)
}

fn term(words: &[String], at: &mut usize) -> Result<Expr, String> {
    let word = words.get(*at).ok_or("a missing term")?.clone();
    *at += 1;
    if word == "(" {
        let inner = command(words, at)?;
        if words.get(*at).map(String::as_str) != Some(")") {
            return Err("an unclosed parenthesis".into());
        }
        *at += 1;
        return Ok(inner);
    }
    let path = |s: &str| -> Vec<String> { s.split('.').filter(|p| !p.is_empty()).map(str::to_owned).collect() };
    if let Some(s) = word.strip_prefix('"') {
        Ok(Expr::Str(s.to_owned()))
    } else if let Some(rest) = word.strip_prefix("$.") {
        Ok(Expr::Root(path(rest)))
    } else if let Some(rest) = word.strip_prefix('$') {
        let (name, fields) = rest.split_once('.').unwrap_or((rest, ""));
        Ok(Expr::Var(name.to_owned(), path(fields)))
    } else if let Some(rest) = word.strip_prefix('.') {
        Ok(Expr::Dot(path(rest)))
    } else if let Ok(n) = word.parse() {
        Ok(Expr::Int(n))
    } else {
        Err(format!("`{word}` is outside the supported subset"))
    }
}

fn field(value: &Value, path: &[String]) -> Value {
    path.iter()
        .fold(value.clone(), |v, p| v.get(p).cloned().unwrap_or(Value::Null))
}

fn eval(e: &Expr, dot: &Value, root: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match e {
        Expr::Dot(path) => field(dot, path),
        Expr::Root(path) => field(root, path),
        Expr::Var(name, path) => field(vars.get(name).ok_or(format!("undefined ${name}"))?, path),
        Expr::Str(s) => Value::from(s.clone()),
        Expr::Int(n) => Value::from(*n),
        Expr::Call(name, args) => {
            let args: Vec<Value> = args
                .iter()
                .map(|a| eval(a, dot, root, vars))
                .collect::<Result<_, _>>()?;
            let number = |v: &Value| v.as_i64().ok_or(format!("{name}: {v} is not a number"));
            match (name.as_str(), args.as_slice()) {
                ("eq", [a, b]) => Value::from(a == b),
                ("ge", [a, b]) => Value::from(number(a)? >= number(b)?),
                ("gt", [a, b]) => Value::from(number(a)? > number(b)?),
                ("le", [a, b]) => Value::from(number(a)? <= number(b)?),
                ("len", [a]) => Value::from(match a {
                    Value::Array(a) => a.len(),
                    Value::String(s) => s.len(),
                    Value::Object(o) => o.len(),
                    _ => 0,
                }),
                ("and", [a, b]) => Value::from(truthy(a) && truthy(b)),
                ("not", [a]) => Value::from(!truthy(a)),
                _ => return Err(format!("{name} with {} arguments", args.len())),
            }
        }
    })
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn exec(
    nodes: &[Node],
    dot: &Value,
    root: &Value,
    vars: &mut BTreeMap<String, Value>,
    out: &mut String,
) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(e) => match eval(e, dot, root, vars)? {
                Value::String(s) => out.push_str(&s),
                Value::Null => return Err(format!("{e:?} has no value")),
                other => out.push_str(&other.to_string()),
            },
            Node::Assign(name, e) => {
                let value = eval(e, dot, root, vars)?;
                vars.insert(name.clone(), value);
            }
            Node::If(branches, otherwise) => {
                let mut taken = false;
                for (condition, body) in branches {
                    if truthy(&eval(condition, dot, root, vars)?) {
                        exec(body, dot, root, vars, out)?;
                        taken = true;
                        break;
                    }
                }
                if !taken {
                    exec(otherwise, dot, root, vars, out)?;
                }
            }
            Node::Range { key, value, over, body } => {
                let items = match eval(over, dot, root, vars)? {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    other => return Err(format!("range over {other}")),
                };
                for (index, item) in items.iter().enumerate() {
                    if let Some(key) = key {
                        vars.insert(key.clone(), Value::from(index));
                    }
                    if let Some(value) = value {
                        vars.insert(value.clone(), item.clone());
                    }
                    exec(body, item, root, vars, out)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_subset_as_go_does() {
        let data = serde_json::json!({"A": ["x", "y"], "N": 9, "S": "", "V": {"Minor": 7}});
        let out = render(
            "a\n{{- range $i, $c := .A }}\n- {{$c}}{{ if eq $c \"y\" }}!{{- else if ge $.N 9 }}?{{ end }}\n{{- end }}\n{{- if .S }}no{{- else }}\nyes {{ .V.Minor }}{{ end }}",
            &data,
        )
        .unwrap();
        assert_eq!(out, "a\n- x?\n- y!\nyes 7");
        assert!(render("{{ printf \"%s\" .A }}", &data).is_err());
    }
}
