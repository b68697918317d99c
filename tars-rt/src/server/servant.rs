//! What the server calls: a [`Servant`] dispatches one [`Call`] by function name.
//! `#[tars::servant]` implements it for types that implement an IDL interface's trait (or for
//! code-first impl blocks); nobody writes it by hand, though nothing prevents it.

use std::sync::Arc;

use crate::idl::InterfaceDesc;
use crate::Status;

use super::context::Context;

use super::call::Call;
use super::push::ConnectionHooks;

/// A TARS object that serves calls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a TARS servant",
    label = "not a servant",
    note = "put `#[tars::servant]` on the `impl` of its interface trait (`impl Hello for {Self}`), or on an `impl {Self}` block of `async fn`s"
)]
#[async_trait::async_trait]
pub trait Servant: Send + Sync + 'static {
    /// The interface it implements: its methods, parameters, tags and types.
    fn interface(&self) -> &'static InterfaceDesc;

    /// Runs `call.function()`: reads the arguments from `call`, runs the method, writes the
    /// return value and `out` parameters back into `call`.
    async fn dispatch(&self, ctx: &Context, call: &mut Call) -> Result<(), Status>;

    /// What the servant hears of its adapter's connections: `Some(self)` with
    /// `#[tars::servant(hooks)]` (the type then implements [`ConnectionHooks`]).
    fn connection_hooks(&self) -> Option<&dyn ConnectionHooks> {
        None
    }
}

#[async_trait::async_trait]
impl<S: Servant + ?Sized> Servant for Arc<S> {
    fn interface(&self) -> &'static InterfaceDesc {
        (**self).interface()
    }

    async fn dispatch(&self, ctx: &Context, call: &mut Call) -> Result<(), Status> {
        (**self).dispatch(ctx, call).await
    }

    fn connection_hooks(&self) -> Option<&dyn ConnectionHooks> {
        (**self).connection_hooks()
    }
}
