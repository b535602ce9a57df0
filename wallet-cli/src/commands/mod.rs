//! One module per subcommand. Each returns the exit code on success.

mod anchor;
mod did;
mod ledger;
mod meta;
mod resync;
mod tour;
mod vc;
mod wallet;

use crate::cli::{
    Command, ConfigCommand, DidCommand, LedgerCommand, SharesCommand, VcCommand, VpCommand, WalletCommand,
};
use crate::context::Context;
use crate::error::CliError;
use didam_wallet::status::StatusAction;

pub(crate) fn run(cx: &Context, command: Command) -> Result<u8, CliError> {
    match command {
        Command::Vc(VcCommand::Verify(args)) => vc::verify(cx, &args),
        Command::Vc(VcCommand::Issue(args)) => vc::issue(cx, &args),
        Command::Vc(VcCommand::Derive(args)) => vc::derive(cx, &args),
        Command::Vc(VcCommand::Revoke(args)) => vc::set_status(cx, &args, StatusAction::Revoke),
        Command::Vc(VcCommand::Suspend(args)) => vc::set_status(cx, &args, StatusAction::Suspend),
        Command::Vc(VcCommand::Reinstate(args)) => vc::set_status(cx, &args, StatusAction::Reinstate),
        Command::Vc(VcCommand::Store(args)) => vc::store(cx, &args),
        Command::Vc(VcCommand::List(args)) => vc::list(cx, &args),
        Command::Vc(VcCommand::Show(args)) => vc::show(cx, &args),
        Command::Vc(VcCommand::Delete(args)) => vc::delete(cx, &args),
        Command::Vp(VpCommand::Create(args)) => vc::present(cx, &args),
        Command::Vp(VpCommand::Verify(args)) => vc::verify(cx, &args),
        Command::Did(DidCommand::Create(args)) => did::create(cx, &args),
        Command::Did(DidCommand::Update(args)) => did::update(cx, &args),
        Command::Did(DidCommand::Rotate(args)) => did::rotate(cx, &args.did, &args.control, args.print.json),
        Command::Did(DidCommand::Deactivate(args)) => did::deactivate(cx, &args),
        Command::Did(DidCommand::List(args)) => did::list(cx, &args),
        Command::Did(DidCommand::Reconcile(args)) => did::reconcile(cx, &args),
        Command::Did(DidCommand::Resolve(args)) => did::resolve(cx, &args),
        Command::Ledger(LedgerCommand::Checkpoint(args)) => ledger::checkpoint(cx, &args),
        Command::Ledger(LedgerCommand::Verify(args)) => ledger::verify(cx, &args),
        Command::Ledger(LedgerCommand::Operator(args)) => ledger::operator(cx, &args),
        Command::Ledger(LedgerCommand::Repin(args)) => ledger::repin(cx, &args),
        Command::Wallet(WalletCommand::Init(args)) => wallet::init(cx, &args),
        Command::Wallet(WalletCommand::Check(args)) => wallet::check(cx, &args),
        Command::Wallet(WalletCommand::Backup(args)) => wallet::backup(cx, &args),
        Command::Wallet(WalletCommand::Restore(args)) => wallet::restore(cx, &args),
        Command::Wallet(WalletCommand::Passwd(args)) => wallet::passwd(cx, &args),
        Command::Wallet(WalletCommand::Resync(args)) => resync::resync(cx, &args),
        Command::Recover(args) => wallet::restore(cx, &args),
        Command::Compromise(args) => wallet::compromise(cx, &args),
        Command::Shares(SharesCommand::Verify(args)) => wallet::shares_verify(&args),
        Command::Tour(args) => tour::run(cx, &args),
        Command::Anchor(args) => anchor::run(cx, &args),
        Command::Vc(VcCommand::Anchor(args)) => anchor::credentials(cx, &args),
        Command::Config(ConfigCommand::Show(args)) => meta::show(&cx.global, &args),
        Command::Completions(args) => meta::completions(&args),
        Command::Man(args) => meta::man(&args),
    }
}
