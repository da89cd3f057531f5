//! Turning a call (function name + byte arguments) into a typed Rust call.

use serde::Serialize;

use crate::{Context, ContractError};

/// What [`contract!`] generates: route a call to a contract function.
pub type DispatchFn = fn(&mut dyn Context, &str, &[Vec<u8>]) -> Result<Vec<u8>, ContractError>;

/// Exposes contract functions under their call names, generating
/// `pub fn dispatch(ctx, function, args)` and, on wasm32, the module's
/// entry point.
///
/// ```ignore
/// use weft_contract_sdk::{contract, Context, Result};
///
/// contract! {
///     "Put" => put(key: String, value: String),
///     "Get" => get(key: String),
/// }
///
/// fn put(ctx: &mut dyn Context, key: String, value: String) -> Result<()> {
///     ctx.put(&key, value.as_bytes());
///     Ok(())
/// }
///
/// fn get(ctx: &mut dyn Context, key: String) -> Result<Option<String>> {
///     Ok(ctx.get(&key).map(|v| String::from_utf8_lossy(&v).into_owned()))
/// }
/// ```
///
/// Each function takes the context and then its parameters, each of a type
/// implementing [`FromArg`](crate::FromArg), and returns
/// `Result<T, ContractError>` with `T: Serialize`; the response is `T` as
/// JSON (empty for `()` and `None`).
#[macro_export]
macro_rules! contract {
    ($($name:literal => $func:ident($($arg:ident : $ty:ty),* $(,)?)),+ $(,)?) => {
        /// Routes a call to this contract's functions.
        pub fn dispatch(
            ctx: &mut dyn $crate::Context,
            function: &str,
            args: &[::std::vec::Vec<u8>],
        ) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::ContractError> {
            match function {
                $($name => {
                    let params: &[&str] = &[$(stringify!($arg)),*];
                    $crate::check_arity($name, params, args)?;
                    #[allow(unused_mut, unused_variables)]
                    let mut next = args.iter().zip(params.iter());
                    $(
                        let $arg: $ty = {
                            let (bytes, param) = next.next().expect("arity was checked");
                            $crate::FromArg::from_arg(bytes)
                                .map_err(|why| $crate::ContractError::new(
                                    format!("{}: argument `{}` is invalid: {}", $name, param, why)
                                ))?
                        };
                    )*
                    $crate::to_response(&$func(ctx, $($arg),*)?)
                })+
                other => ::core::result::Result::Err($crate::ContractError::new(format!(
                    "unknown function {:?}; this contract has: {}",
                    other,
                    [$($name),+].join(", ")
                ))),
            }
        }

        /// The module's entry point, called once per invocation by the host.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn weft_main() {
            $crate::wasm::run(dispatch)
        }
    };
}

#[doc(hidden)]
pub fn check_arity(function: &str, params: &[&str], args: &[Vec<u8>]) -> Result<(), ContractError> {
    if params.len() == args.len() {
        return Ok(());
    }
    Err(ContractError::new(format!(
        "{function} takes {} argument{} ({}), got {}",
        params.len(),
        if params.len() == 1 { "" } else { "s" },
        params.join(", "),
        args.len()
    )))
}

#[doc(hidden)]
pub fn to_response<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ContractError> {
    let bytes = serde_json::to_vec(value)?;
    Ok(if bytes == b"null" { Vec::new() } else { bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_errors_name_the_parameters() {
        let err = check_arity("CreateAsset", &["id", "color"], &[vec![]]).unwrap_err();
        assert_eq!(err.message(), "CreateAsset takes 2 arguments (id, color), got 1");
    }

    #[test]
    fn unit_and_none_give_an_empty_response() {
        assert!(to_response(&()).unwrap().is_empty());
        assert!(to_response(&None::<u8>).unwrap().is_empty());
        assert_eq!(to_response("x").unwrap(), br#""x""#);
    }
}
