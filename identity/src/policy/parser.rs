//! Recursive-descent parser for policy expressions.

use thiserror::Error;

use super::{OrgThreshold, Policy, Principal, RoleMatch};

/// A policy that could not be parsed; `position` is the byte offset in the
/// text where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("policy error at position {position}: {message}")]
pub struct PolicyParseError {
    pub position: usize,
    pub message: String,
}

/// Deep nesting is never needed and would let a hostile policy exhaust the stack.
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

pub(super) fn parse(text: &str) -> Result<Policy, PolicyParseError> {
    let mut p = Parser { text, pos: 0 };
    let policy = p.policy(0)?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(p.error(format!("unexpected '{}' after the end of the policy", p.rest_preview())));
    }
    Ok(policy)
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> PolicyParseError {
        PolicyParseError { position: self.pos, message: message.into() }
    }

    fn rest_preview(&self) -> String {
        self.text[self.pos..].chars().take(12).collect()
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "end of input".to_owned(),
            Some(c) => format!("'{c}'"),
        }
    }

    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), PolicyParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(format!("expected '{c}', found {}", self.found())))
        }
    }

    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn policy(&mut self, depth: usize) -> Result<Policy, PolicyParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("policy nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_ws();
        if self.text[self.pos..].starts_with(['\'', '"']) {
            return self.principal().map(Policy::SignedBy);
        }
        let start = self.pos;
        let word = self.word();
        match word.to_ascii_uppercase().as_str() {
            "AND" => Ok(Policy::And(self.args(depth, start, "AND")?)),
            "OR" => Ok(Policy::Or(self.args(depth, start, "OR")?)),
            "OUTOF" => self.out_of(depth, start),
            "MAJORITY" => self.orgs(OrgThreshold::Majority),
            "ANY" => self.orgs(OrgThreshold::Any),
            "ALL" => self.orgs(OrgThreshold::All),
            "" => Err(self.error(format!(
                "expected AND, OR, OutOf, MAJORITY, ANY, ALL or a quoted principal like 'Org1.peer', found {}",
                self.found()
            ))),
            _ => Err(PolicyParseError {
                position: start,
                message: format!(
                    "unknown keyword '{word}'; expected AND, OR, OutOf, MAJORITY, ANY, ALL or a quoted principal"
                ),
            }),
        }
    }

    fn args(&mut self, depth: usize, start: usize, name: &str) -> Result<Vec<Policy>, PolicyParseError> {
        self.expect('(')?;
        let items = self.list(depth)?;
        if items.is_empty() {
            return Err(PolicyParseError { position: start, message: format!("{name} needs at least one policy") });
        }
        Ok(items)
    }

    /// Comma-separated policies up to and including the closing parenthesis.
    fn list(&mut self, depth: usize) -> Result<Vec<Policy>, PolicyParseError> {
        let mut items = Vec::new();
        if self.eat(')') {
            return Ok(items);
        }
        loop {
            items.push(self.policy(depth + 1)?);
            if self.eat(')') {
                return Ok(items);
            }
            if !self.eat(',') {
                return Err(self.error(format!("expected ',' or ')', found {}", self.found())));
            }
        }
    }

    fn out_of(&mut self, depth: usize, start: usize) -> Result<Policy, PolicyParseError> {
        self.expect('(')?;
        self.skip_ws();
        let n_pos = self.pos;
        let digits = self.word();
        let n: usize = digits.parse().map_err(|_| PolicyParseError {
            position: n_pos,
            message: format!("OutOf needs a count first, found '{digits}'"),
        })?;
        self.expect(',')?;
        let items = self.list(depth)?;
        if n == 0 || n > items.len() {
            return Err(PolicyParseError {
                position: start,
                message: format!("OutOf({n}, …) has {} policies; the count must be between 1 and that", items.len()),
            });
        }
        Ok(Policy::OutOf(n, items))
    }

    fn orgs(&mut self, threshold: OrgThreshold) -> Result<Policy, PolicyParseError> {
        if !self.eat('(') {
            return Ok(Policy::Orgs(threshold, RoleMatch::Member));
        }
        self.skip_ws();
        let role_pos = self.pos;
        let role = self.word();
        let role = parse_role(role).map_err(|message| PolicyParseError { position: role_pos, message })?;
        self.expect(')')?;
        Ok(Policy::Orgs(threshold, role))
    }

    fn principal(&mut self) -> Result<Principal, PolicyParseError> {
        let open = self.pos;
        let quote = self.text[self.pos..].chars().next().expect("caller checked for a quote");
        self.pos += 1;
        let body_start = self.pos;
        let Some(len) = self.text[body_start..].find(quote) else {
            return Err(PolicyParseError {
                position: open,
                message: format!("unterminated principal: missing closing {quote}"),
            });
        };
        let body = &self.text[body_start..body_start + len];
        self.pos = body_start + len + 1;
        let Some((org, role)) = body.rsplit_once('.') else {
            return Err(PolicyParseError {
                position: body_start,
                message: format!("principal '{body}' must be 'Org.role', e.g. 'Org1.peer'"),
            });
        };
        if org.is_empty() {
            return Err(PolicyParseError { position: body_start, message: format!("principal '{body}' has no org") });
        }
        // An org id of other characters (a quote, a comma) would not print
        // back as the same principal.
        if let Some(bad) = org.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))) {
            return Err(PolicyParseError {
                position: body_start + bad,
                message: format!("org '{org}' may contain only letters, digits, '.', '-' and '_'"),
            });
        }
        let role =
            parse_role(role).map_err(|message| PolicyParseError { position: body_start + org.len() + 1, message })?;
        Ok(Principal { org: org.to_owned(), role })
    }
}

fn parse_role(text: &str) -> Result<RoleMatch, String> {
    if text.eq_ignore_ascii_case("member") {
        return Ok(RoleMatch::Member);
    }
    text.parse()
        .map(RoleMatch::Role)
        .map_err(|_| format!("unknown role '{text}'; expected peer, orderer, admin, client or member"))
}
