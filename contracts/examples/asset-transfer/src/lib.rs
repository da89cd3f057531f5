//! `asset-transfer`: Weft's port of Hyperledger Fabric's asset-transfer-basic
//! sample. Same functions, same argument order, same JSON field names, so a
//! Fabric application's calls work unchanged.

use serde::{Deserialize, Serialize};
use weft_contract_sdk::{contract, Context, ContractError, Result};

contract! {
    "InitLedger" => init_ledger(),
    "CreateAsset" => create_asset(id: String, color: String, size: u64, owner: String, appraised_value: u64),
    "ReadAsset" => read_asset(id: String),
    "UpdateAsset" => update_asset(id: String, color: String, size: u64, owner: String, appraised_value: u64),
    "DeleteAsset" => delete_asset(id: String),
    "AssetExists" => asset_exists(id: String),
    "TransferAsset" => transfer_asset(id: String, new_owner: String),
    "GetAllAssets" => get_all_assets(),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Asset {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Color")]
    pub color: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "Owner")]
    pub owner: String,
    #[serde(rename = "AppraisedValue")]
    pub appraised_value: u64,
}

/// Creates the six assets of the Fabric sample.
pub fn init_ledger(ctx: &mut dyn Context) -> Result<()> {
    let seed = [
        ("asset1", "blue", 5, "Tomoko", 300),
        ("asset2", "red", 5, "Brad", 400),
        ("asset3", "green", 10, "Jin Soo", 500),
        ("asset4", "yellow", 10, "Max", 600),
        ("asset5", "black", 15, "Adriana", 700),
        ("asset6", "white", 15, "Michel", 800),
    ];
    for (id, color, size, owner, value) in seed {
        let asset = Asset { id: id.into(), color: color.into(), size, owner: owner.into(), appraised_value: value };
        ctx.put_json(id, &asset)?;
    }
    Ok(())
}

pub fn create_asset(
    ctx: &mut dyn Context,
    id: String,
    color: String,
    size: u64,
    owner: String,
    appraised_value: u64,
) -> Result<Asset> {
    if id.is_empty() {
        return Err(ContractError::new("the asset id must not be empty"));
    }
    if ctx.get(&id).is_some() {
        return Err(ContractError::new(format!("the asset {id} already exists")));
    }
    let asset = Asset { id, color, size, owner, appraised_value };
    ctx.put_json(&asset.id, &asset)?;
    ctx.set_event("CreateAsset", &serde_json::to_vec(&asset)?);
    Ok(asset)
}

pub fn read_asset(ctx: &mut dyn Context, id: String) -> Result<Asset> {
    ctx.get_json(&id)?.ok_or_else(|| ContractError::new(format!("the asset {id} does not exist")))
}

pub fn update_asset(
    ctx: &mut dyn Context,
    id: String,
    color: String,
    size: u64,
    owner: String,
    appraised_value: u64,
) -> Result<Asset> {
    read_asset(ctx, id.clone())?;
    let asset = Asset { id, color, size, owner, appraised_value };
    ctx.put_json(&asset.id, &asset)?;
    Ok(asset)
}

pub fn delete_asset(ctx: &mut dyn Context, id: String) -> Result<()> {
    read_asset(ctx, id.clone())?;
    ctx.delete(&id);
    Ok(())
}

pub fn asset_exists(ctx: &mut dyn Context, id: String) -> Result<bool> {
    Ok(ctx.get(&id).is_some())
}

/// Gives the asset to `new_owner`; returns the previous owner, as Fabric's
/// sample does.
pub fn transfer_asset(ctx: &mut dyn Context, id: String, new_owner: String) -> Result<String> {
    let mut asset = read_asset(ctx, id)?;
    let old_owner = std::mem::replace(&mut asset.owner, new_owner);
    ctx.put_json(&asset.id, &asset)?;
    let event = serde_json::json!({ "ID": asset.id, "From": old_owner, "To": asset.owner });
    ctx.set_event("TransferAsset", &serde_json::to_vec(&event)?);
    Ok(old_owner)
}

pub fn get_all_assets(ctx: &mut dyn Context) -> Result<Vec<Asset>> {
    ctx.range("", "")
        .into_iter()
        .map(|(key, bytes)| {
            serde_json::from_slice(&bytes)
                .map_err(|e| ContractError::new(format!("the value at {key:?} is not an asset: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_contract_sdk::MockContext;

    fn ctx_with_seed() -> MockContext {
        let mut ctx = MockContext::new("asset-transfer");
        init_ledger(&mut ctx).unwrap();
        ctx.commit();
        ctx
    }

    #[test]
    fn create_read_update_delete() {
        let mut ctx = ctx_with_seed();
        let created = create_asset(&mut ctx, "asset7".into(), "teal".into(), 3, "Ann".into(), 90).unwrap();
        assert_eq!(ctx.events()[0].0, "CreateAsset");
        ctx.commit();
        assert_eq!(read_asset(&mut ctx, "asset7".into()).unwrap(), created);
        update_asset(&mut ctx, "asset7".into(), "red".into(), 4, "Ann".into(), 95).unwrap();
        ctx.commit();
        assert_eq!(read_asset(&mut ctx, "asset7".into()).unwrap().color, "red");
        delete_asset(&mut ctx, "asset7".into()).unwrap();
        ctx.commit();
        assert!(!asset_exists(&mut ctx, "asset7".into()).unwrap());
    }

    #[test]
    fn errors_match_the_fabric_sample() {
        let mut ctx = ctx_with_seed();
        let err = create_asset(&mut ctx, "asset1".into(), "x".into(), 1, "y".into(), 1).unwrap_err();
        assert_eq!(err.message(), "the asset asset1 already exists");
        assert_eq!(read_asset(&mut ctx, "nope".into()).unwrap_err().message(), "the asset nope does not exist");
        assert!(transfer_asset(&mut ctx, "nope".into(), "Z".into()).is_err());
    }

    #[test]
    fn transfer_returns_the_old_owner_and_emits_an_event() {
        let mut ctx = ctx_with_seed();
        assert_eq!(transfer_asset(&mut ctx, "asset1".into(), "Christopher".into()).unwrap(), "Tomoko");
        let (name, payload) = &ctx.events()[0];
        assert_eq!(name, "TransferAsset");
        assert!(String::from_utf8_lossy(payload).contains("Christopher"));
        ctx.commit();
        assert_eq!(read_asset(&mut ctx, "asset1".into()).unwrap().owner, "Christopher");
    }

    #[test]
    fn dispatch_reads_typed_arguments_and_returns_fabric_json() {
        let mut ctx = ctx_with_seed();
        let args: Vec<Vec<u8>> = ["asset9", "blue", "5", "Tom", "100"].iter().map(|a| a.as_bytes().to_vec()).collect();
        let out = dispatch(&mut ctx, "CreateAsset", &args).unwrap();
        assert_eq!(out, br#"{"ID":"asset9","Color":"blue","Size":5,"Owner":"Tom","AppraisedValue":100}"#);
        let bad: Vec<Vec<u8>> =
            ["asset9", "blue", "five", "Tom", "100"].iter().map(|a| a.as_bytes().to_vec()).collect();
        let err = dispatch(&mut ctx, "CreateAsset", &bad).unwrap_err();
        assert!(err.message().starts_with("CreateAsset: argument `size` is invalid"), "{err}");
        ctx.commit();
        let all: Vec<Asset> = serde_json::from_slice(&dispatch(&mut ctx, "GetAllAssets", &[]).unwrap()).unwrap();
        assert_eq!(all.len(), 7);
    }
}
