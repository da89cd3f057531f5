//! Metering and billing. The monitor meters every running chain each
//! round (`record`): node time by resource class, disk bytes × time, valid
//! transactions, per hour. Price plans turn a month of that into an
//! invoice (`invoice`, pure): node-hours at the class's CPU and memory
//! prices, storage GB-hours, transactions per thousand, a base fee. A past
//! month's invoice is issued once and kept as issued; the current month's
//! is a draft. The monthly transaction quota is enforced on REST submits.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::{now, Db};
use crate::problem::Problem;
use crate::role::{Caller, Role};
use crate::store::tenants::readable_tenant;

const HOUR_MS: i64 = 3_600_000;
const GIB: f64 = (1u64 << 30) as f64;

/// A node's size, as its chain's template gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeClass {
    pub cpu_millis: i64,
    pub memory_mb: i64,
}

impl NodeClass {
    pub fn of(cpu: f64, memory_mb: u64) -> NodeClass {
        NodeClass { cpu_millis: (cpu * 1000.0).round() as i64, memory_mb: memory_mb as i64 }
    }

    /// E.g. "1cpu-1024mb", "0.5cpu-512mb".
    pub fn name(&self) -> String {
        let cpu = self.cpu_millis as f64 / 1000.0;
        format!("{cpu}cpu-{}mb", self.memory_mb)
    }
}

/// What a chain's nodes of one class used during one metering round.
#[derive(Debug, Clone, Default)]
pub struct Metered {
    pub node_ms: i64,
    pub storage_byte_secs: i64,
    pub transactions: i64,
}

/// Adds one round's use to the chain's row for this hour and class.
pub async fn record(
    db: &Db,
    tenant: &str,
    chain: &str,
    at_ms: i64,
    class: &NodeClass,
    m: &Metered,
) -> Result<(), sqlx::Error> {
    let hour_ms = at_ms - at_ms.rem_euclid(HOUR_MS);
    let class_name = class.name();
    let used = crate::store::metered_usage::Use {
        tenant,
        chain,
        hour_ms,
        class: &class_name,
        cpu_millis: class.cpu_millis,
        memory_mb: class.memory_mb,
        node_ms: m.node_ms,
        storage_byte_secs: m.storage_byte_secs,
        transactions: m.transactions,
    };
    crate::store::metered_usage::add(db, &used).await
}

/// A calendar month (UTC) as "YYYY-MM" and its bounds in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, String> {
        let bad = || format!("month: {s:?} is not YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let (year, month) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u8>().map_err(|_| bad())?);
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if y.len() != 4 || m.len() != 2 || !digits(y) || !digits(m) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn containing(ms: i64) -> Month {
        let t =
            time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Month { year: t.year(), month: t.month() as u8 }
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    fn start_ms_of(year: i32, month: u8) -> i64 {
        let m = time::Month::try_from(month).expect("checked month");
        let d = time::Date::from_calendar_date(year, m, 1).expect("valid date");
        d.midnight().assume_utc().unix_timestamp() * 1000
    }

    pub fn start_ms(&self) -> i64 {
        Self::start_ms_of(self.year, self.month)
    }

    pub fn end_ms(&self) -> i64 {
        if self.month == 12 {
            Self::start_ms_of(self.year + 1, 1)
        } else {
            Self::start_ms_of(self.year, self.month + 1)
        }
    }
}

pub use crate::store::invoices::{issue_invoice, issued_invoice};
pub use crate::store::price_plans::{plan_named, plan_names, put_plan, Plan};
pub use crate::store::tenants::{plan_of_tenant, set_tenant_plan};

/// One month of one chain's use of one class, summed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageLine {
    pub chain_id: String,
    pub chain_name: String,
    pub resource_class: String,
    pub cpu_millis: i64,
    pub memory_mb: i64,
    pub node_hours: f64,
    pub storage_gb_hours: f64,
    pub transactions: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLine {
    /// Empty for the plan's base fee.
    pub chain_id: String,
    pub item: String,
    pub quantity: f64,
    /// node-hour, GB-hour, 1000 transactions, month
    pub unit: String,
    pub unit_price_micros: i64,
    pub amount_micros: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invoice {
    pub tenant_id: String,
    /// YYYY-MM
    pub month: String,
    pub plan: String,
    pub currency: String,
    /// draft (the month is not over; amounts grow) | final (issued, kept)
    pub status: String,
    pub lines: Vec<InvoiceLine>,
    pub total_micros: i64,
    /// The total in the currency, two decimals.
    pub total: String,
    pub issued_at: i64,
}

/// The invoice for `usage` under `plan`: pure arithmetic, amounts rounded
/// to the micro-unit per line, lines with nothing to charge left out.
pub fn invoice(tenant: &str, month: Month, plan: &Plan, usage: &[UsageLine], status: &str, at: i64) -> Invoice {
    let mut lines = Vec::new();
    let mut line = |chain: &str, item: String, quantity: f64, unit: &str, unit_price_micros: i64| {
        let amount_micros = (quantity * unit_price_micros as f64).round() as i64;
        if quantity > 0.0 {
            lines.push(InvoiceLine {
                chain_id: chain.to_string(),
                item,
                quantity,
                unit: unit.to_string(),
                unit_price_micros,
                amount_micros,
            });
        }
    };
    if plan.monthly_base_micros > 0 {
        line("", format!("{} plan base fee", plan.name), 1.0, "month", plan.monthly_base_micros);
    }
    for u in usage {
        let node_hour = (u.cpu_millis as f64 / 1000.0 * plan.cpu_hour_micros as f64
            + u.memory_mb as f64 / 1024.0 * plan.memory_gb_hour_micros as f64)
            .round() as i64;
        let chain = format!("{} ({})", u.chain_name, u.chain_id);
        line(&u.chain_id, format!("{chain}: nodes {}", u.resource_class), u.node_hours, "node-hour", node_hour);
        line(&u.chain_id, format!("{chain}: storage"), u.storage_gb_hours, "GB-hour", plan.storage_gb_hour_micros);
        let thousands = u.transactions as f64 / 1000.0;
        line(&u.chain_id, format!("{chain}: transactions"), thousands, "1000 transactions", plan.per_1000_tx_micros);
    }
    let total_micros: i64 = lines.iter().map(|l| l.amount_micros).sum();
    Invoice {
        tenant_id: tenant.to_string(),
        month: month.label(),
        plan: plan.name.clone(),
        currency: plan.currency.clone(),
        status: status.to_string(),
        total: format!("{:.2}", total_micros as f64 / 1e6),
        lines,
        total_micros,
        issued_at: at,
    }
}

/// The tenant's use over [from, to), per chain and class.
pub async fn usage_between(db: &Db, tenant: &str, from_ms: i64, to_ms: i64) -> Result<Vec<UsageLine>, Problem> {
    let summed = crate::store::metered_usage::summed_between(db, tenant, from_ms, to_ms).await?;
    Ok(summed
        .into_iter()
        .map(|r| UsageLine {
            chain_id: r.chain_id,
            chain_name: r.name,
            resource_class: r.resource_class,
            cpu_millis: r.cpu_millis,
            memory_mb: r.memory_mb,
            node_hours: r.node_ms as f64 / HOUR_MS as f64,
            storage_gb_hours: r.storage as f64 / GIB / 3600.0,
            transactions: r.txs,
        })
        .collect())
}

/// Refuses a submit once the tenant's valid transactions this month reach
/// its quota's `max_tx_per_month`.
pub async fn check_transactions(db: &Db, tenant: &str) -> Result<(), Problem> {
    let Some(max) = crate::quotas::quota_of(db, tenant).await?.max_tx_per_month else { return Ok(()) };
    let month = Month::containing(now() * 1000);
    let used = crate::store::metered_usage::transactions_since(db, tenant, month.start_ms()).await?;
    if used >= max {
        return Err(Problem::too_many(
            format!(
                "the tenant's monthly transaction quota is used up ({used} of {max} in {}); it renews on the 1st, or \
                 ask a platform admin to raise max_tx_per_month",
                month.label()
            ),
            (month.end_ms() / 1000 - now()).max(1) as u64,
        ));
    }
    Ok(())
}

/// Billing is for the tenant's admins and auditors, and platform admins.
pub async fn billing_reader(db: &Db, caller: &Caller, tenant: &str) -> Result<(), Problem> {
    readable_tenant(db, caller, tenant).await?;
    if caller.role == Role::TenantMember {
        return Err(Problem::forbidden("billing is for the tenant's admins and auditors"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// YYYY-MM (default: this month).
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPlan {
    /// A plan's name (GET /api/plans).
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub plan: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "standard".into(),
            currency: "USD".into(),
            cpu_hour_micros: 40_000,
            memory_gb_hour_micros: 5_000,
            storage_gb_hour_micros: 150,
            per_1000_tx_micros: 10_000,
            monthly_base_micros: 2_000_000,
        }
    }

    #[test]
    fn an_invoice_prices_each_class_storage_and_transactions() {
        let usage = [UsageLine {
            chain_id: "c1".into(),
            chain_name: "prod".into(),
            resource_class: "2cpu-2048mb".into(),
            cpu_millis: 2000,
            memory_mb: 2048,
            node_hours: 10.0,
            storage_gb_hours: 100.0,
            transactions: 2500,
        }];
        let inv = invoice("t", Month::parse("2026-11").unwrap(), &plan(), &usage, "draft", 0);
        let amounts: Vec<i64> = inv.lines.iter().map(|l| l.amount_micros).collect();
        // base 2.00; 10 node-hours × (2 × 0.04 + 2 × 0.005) = 0.90;
        // 100 GB-hours × 0.00015 = 0.015; 2.5 × 0.01 = 0.025.
        assert_eq!(amounts, [2_000_000, 900_000, 15_000, 25_000]);
        assert_eq!((inv.total_micros, inv.total.as_str()), (2_940_000, "2.94"));
        let idle = UsageLine { node_hours: 0.0, storage_gb_hours: 0.0, transactions: 0, ..usage[0].clone() };
        let inv = invoice(
            "t",
            Month::parse("2026-11").unwrap(),
            &Plan { monthly_base_micros: 0, ..plan() },
            &[idle],
            "draft",
            0,
        );
        assert!(inv.lines.is_empty(), "nothing used, nothing charged: {inv:?}");
    }

    #[test]
    fn months_parse_and_bound_in_utc() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.start_ms(), 1_796_083_200_000);
        assert_eq!(m.end_ms(), Month::parse("2027-01").unwrap().start_ms());
        assert_eq!(Month::containing(m.end_ms() - 1), m);
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(NodeClass::of(0.5, 512).name(), "0.5cpu-512mb");
    }
}
