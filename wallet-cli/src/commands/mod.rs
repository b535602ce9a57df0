//! One module per subcommand. Each returns the exit code on success.

mod did;
mod ledger;
mod meta;
mod tour;
mod vc;
mod wallet;

use crate::cli::{
    Command, ConfigCommand, DidCommand, Global, LedgerCommand, SharesCommand, VcCommand, VpCommand,
    WalletCommand,
};
use crate::error::CliError;
use didam_wallet::status::StatusAction;

pub(crate) fn run(global: &Global, command: Command) -> Result<u8, CliError> {
    match command {
        Command::Vc(VcCommand::Verify(args)) => vc::verify(global, &args),
        Command::Vc(VcCommand::Issue(args)) => vc::issue(global, &args),
        Command::Vc(VcCommand::Revoke(args)) => vc::set_status(global, &args, StatusAction::Revoke),
        Command::Vc(VcCommand::Suspend(args)) => vc::set_status(global, &args, StatusAction::Suspend),
        Command::Vc(VcCommand::Reinstate(args)) => vc::set_status(global, &args, StatusAction::Reinstate),
        Command::Vc(VcCommand::Store(args)) => vc::store(global, &args),
        Command::Vc(VcCommand::List(args)) => vc::list(global, &args),
        Command::Vc(VcCommand::Show(args)) => vc::show(global, &args),
        Command::Vc(VcCommand::Delete(args)) => vc::delete(global, &args),
        Command::Vp(VpCommand::Create(args)) => vc::present(global, &args),
        Command::Vp(VpCommand::Verify(args)) => vc::verify(global, &args),
        Command::Did(DidCommand::Create(args)) => did::create(global, &args),
        Command::Did(DidCommand::Update(args)) => did::update(global, &args),
        Command::Did(DidCommand::Rotate(args)) => did::rotate(global, &args, false),
        Command::Did(DidCommand::Deactivate(args)) => did::rotate(global, &args, true),
        Command::Did(DidCommand::List(args)) => did::list(global, &args),
        Command::Did(DidCommand::Reconcile(args)) => did::reconcile(global, &args),
        Command::Did(DidCommand::Resolve(args)) => did::resolve(global, &args),
        Command::Ledger(LedgerCommand::Checkpoint(args)) => ledger::checkpoint(global, &args),
        Command::Ledger(LedgerCommand::Verify(args)) => ledger::verify(global, &args),
        Command::Wallet(WalletCommand::Init(args)) => wallet::init(global, &args),
        Command::Wallet(WalletCommand::Check(args)) => wallet::check(global, &args),
        Command::Wallet(WalletCommand::Backup(args)) => wallet::backup(global, &args),
        Command::Wallet(WalletCommand::Restore(args)) => wallet::restore(global, &args),
        Command::Wallet(WalletCommand::Passwd(args)) => wallet::passwd(global, &args),
        Command::Recover(args) => wallet::restore(global, &args),
        Command::Compromise(args) => wallet::compromise(global, &args),
        Command::Shares(SharesCommand::Verify(args)) => wallet::shares_verify(&args),
        Command::Tour(args) => tour::run(&args),
        Command::Config(ConfigCommand::Show(args)) => meta::show(global, &args),
        Command::Completions(args) => meta::completions(&args),
        Command::Man(args) => meta::man(&args),
    }
}
