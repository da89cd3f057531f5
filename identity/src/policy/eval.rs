//! Policy evaluation: a backtracking search for an assignment of distinct
//! signers to the principals the policy needs.
//!
//! A greedy match can fail where an assignment exists (`AND(OR('A.peer',
//! 'A.admin'), 'A.admin')` with one peer and one admin); search finds it. The
//! step budget bounds the work a hostile policy or signer list can cause.

use super::{OrgThreshold, Policy, Principal, RoleMatch};
use crate::{IdentityId, Role};

/// A verified signer as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub id: IdentityId,
    pub org: String,
    pub role: Role,
}

const STEP_BUDGET: u32 = 200_000;

/// The policy with MAJORITY/ANY/ALL expanded over the channel's orgs.
enum Node<'a> {
    Leaf(&'a str, RoleMatch),
    OutOf(usize, Vec<Node<'a>>),
}

fn expand<'a>(policy: &'a Policy, orgs: &'a [String]) -> Node<'a> {
    let all = |items: &'a [Policy]| items.iter().map(|p| expand(p, orgs)).collect::<Vec<_>>();
    match policy {
        Policy::SignedBy(Principal { org, role }) => Node::Leaf(org, *role),
        Policy::And(items) => Node::OutOf(items.len(), all(items)),
        Policy::Or(items) => Node::OutOf(1, all(items)),
        Policy::OutOf(n, items) => Node::OutOf(*n, all(items)),
        Policy::Orgs(threshold, role) => {
            let n = match threshold {
                OrgThreshold::Majority => orgs.len() / 2 + 1,
                OrgThreshold::Any => 1,
                OrgThreshold::All => orgs.len(),
            };
            // MAJORITY over no orgs cannot be met; ALL over none is vacuous.
            let n = if orgs.is_empty() && *threshold == OrgThreshold::All { 0 } else { n };
            Node::OutOf(n, orgs.iter().map(|o| Node::Leaf(o, *role)).collect())
        }
    }
}

pub(super) fn evaluate(policy: &Policy, signers: &[Signer], orgs: &[String]) -> bool {
    let mut unique: Vec<&Signer> = Vec::with_capacity(signers.len());
    for s in signers {
        if !unique.iter().any(|u| u.id == s.id) {
            unique.push(s);
        }
    }
    let root = expand(policy, orgs);
    let mut search = Search { signers: &unique, used: vec![false; unique.len()], budget: STEP_BUDGET };
    search.solve(&mut vec![&root])
}

struct Search<'s> {
    signers: &'s [&'s Signer],
    used: Vec<bool>,
    budget: u32,
}

impl Search<'_> {
    /// Whether every goal on the stack can be met at once by unused signers.
    fn solve<'n>(&mut self, goals: &mut Vec<&'n Node<'n>>) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        let Some(goal) = goals.pop() else {
            return true;
        };
        let met = match goal {
            Node::Leaf(org, role) => {
                let mut met = false;
                for i in 0..self.signers.len() {
                    let s = self.signers[i];
                    if !self.used[i] && s.org == *org && role.matches(s.role) {
                        self.used[i] = true;
                        met = self.solve(goals);
                        self.used[i] = false;
                        if met {
                            break;
                        }
                    }
                }
                met
            }
            Node::OutOf(n, children) => self.choose(goals, children, *n, 0),
        };
        goals.push(goal);
        met
    }

    /// Tries every way of picking `n` of `children[from..]` as extra goals.
    fn choose<'n>(&mut self, goals: &mut Vec<&'n Node<'n>>, children: &'n [Node<'n>], n: usize, from: usize) -> bool {
        if n == 0 {
            return self.solve(goals);
        }
        for i in from..children.len() {
            if children.len() - i < n || self.budget == 0 {
                break;
            }
            goals.push(&children[i]);
            let met = self.choose(goals, children, n - 1, i + 1);
            goals.pop();
            if met {
                return true;
            }
        }
        false
    }
}
