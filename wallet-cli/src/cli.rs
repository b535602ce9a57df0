//! The command line, as clap types only: no I/O here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use didam_credential::{Did, KeyType, Suite};
use didam_ledger::LedgerLocation;
use didam_method::DidamDid;
use didam_method::entry::Service;
use didam_method::history::CompromisedSince;
use didam_registry::client::ResolverUrl;

/// A key type, by its one parser, named as `didam` has always named it.
fn key_type(s: &str) -> Result<KeyType, String> {
    s.parse().map_err(|_| format!("unknown key type `{s}` ({})", KeyType::ALL.map(KeyType::name).join(", ")))
}

/// A proof suite, by its one parser, named as `didam` has always named it.
fn suite(s: &str) -> Result<Suite, String> {
    s.parse().map_err(|_| format!("unknown suite `{s}` ({})", Suite::ALL.map(Suite::name).join(", ")))
}

/// How `didam vc issue` secures a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IssueFormat {
    /// A W3C credential with a Data Integrity proof (`--suite`).
    #[value(name = "data-integrity")]
    DataIntegrity,
    /// An IETF SD-JWT VC (`--vct`, `--holder`, `--disclose`).
    #[value(name = "dc+sd-jwt")]
    DcSdJwt,
}

/// didam: decentralized identifiers and verifiable credentials.
#[derive(Debug, Parser)]
#[command(name = "didam", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Example:\n  didam tour\n  didam vc verify credential.json\n\n\
Exit codes (every command): 0 success or valid, 1 invalid, 2 usage error or unreadable input, 3 could not check or could not complete.")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command understands. Secrets never come from the command
/// line: passphrases and shares are read from files or a terminal prompt.
#[derive(Debug, Args, Clone)]
pub(crate) struct Global {
    /// The wallet folder [default: the platform data directory's `wallet`].
    #[arg(long, global = true, env = "DIDAM_WALLET")]
    pub(crate) wallet: Option<PathBuf>,
    /// The ledger: an embedded ledger file, or the URL of a didam-resolver
    /// daemon [default: the platform data directory's `ledger.db`].
    #[arg(long, global = true, env = "DIDAM_LEDGER")]
    pub(crate) ledger: Option<LedgerLocation>,
    /// Read the wallet passphrase from this file (first line) instead of a
    /// terminal prompt.
    #[arg(long, global = true, env = "DIDAM_PASSPHRASE_FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// Files holding SLIP-39 shares of the rotation secret (one share per
    /// line; several files may be given). Needed to create, update, rotate or
    /// deactivate a DID; prompted for on a terminal when absent.
    #[arg(long = "rotation-shares", global = true, env = "DIDAM_ROTATION_SHARES", value_delimiter = ',')]
    pub(crate) rotation_shares: Vec<PathBuf>,
    /// A didam-resolver daemon (URL) asked to resolve did:web and did:webvh
    /// [default: resolve them directly].
    #[arg(long, global = true, env = "DIDAM_RESOLVER")]
    pub(crate) resolver: Option<ResolverUrl>,
    /// The config file [default: the platform config directory's
    /// `config.toml`, e.g. ~/.config/didam/config.toml].
    #[arg(long, global = true, env = "DIDAM_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Resolve did:didam only through checkpoints that carry a valid
    /// ML-DSA-44 signature by the ledger's pinned ML-DSA-44 key (C2SP
    /// tlog-cosignature `0x06`); a ledger without one is refused. Also
    /// `require_pq_checkpoints = true` in the config file.
    #[arg(long, global = true, env = "DIDAM_REQUIRE_PQ_CHECKPOINTS")]
    pub(crate) require_pq_checkpoints: bool,
    /// Where each setting came from (filled in after parsing).
    #[arg(skip)]
    pub(crate) provenance: crate::config::Provenance,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Verifiable credentials.
    #[command(
        subcommand,
        after_help = "Example:\n  didam vc verify credential.json\n  didam vc issue unsigned.json --issuer did:didam:Qm... --out credential.json"
    )]
    Vc(VcCommand),
    /// Decentralized identifiers.
    #[command(
        subcommand,
        after_help = "Example:\n  didam did create --method didam\n  didam did resolve did:didam:Qm..."
    )]
    Did(DidCommand),
    /// The holder wallet: create, back up, restore, check.
    #[command(
        subcommand,
        after_help = "Example:\n  didam wallet init --shares-out ./shares\n  didam wallet check"
    )]
    Wallet(WalletCommand),
    /// The ledger: sign a checkpoint, verify everything, its operator key.
    #[command(
        subcommand,
        after_help = "Example:\n  didam ledger checkpoint\n  didam ledger verify --json\n  didam ledger operator"
    )]
    Ledger(LedgerCommand),
    /// SLIP-39 shares.
    #[command(subcommand, after_help = "Example:\n  didam shares verify ./shares/wallet-share-1.txt")]
    Shares(SharesCommand),
    /// Presentations.
    #[command(
        subcommand,
        after_help = "Example:\n  didam vp create --holder did:didam:Qm... --challenge 8b2f credential.json\n  didam vp verify presentation.json --challenge 8b2f"
    )]
    Vp(VpCommand),
    /// Rebuild a wallet on a fresh machine from k shares of its root and its
    /// newest backup.
    #[command(
        after_help = "Example:\n  didam recover --wallet ./restored --shares share-1.txt,share-2.txt --backup backup-0000000012.age"
    )]
    Recover(RecoverArgs),
    /// After a key leak: stop using every key of the wallet, re-key the
    /// wallet, rotate its DIDs with the rotation secret, list what to revoke.
    /// Interrupted, it is continued by running it again.
    #[command(
        after_help = "Example:\n  didam compromise --did did:didam:Qm... --rotation-shares rot-1.txt,rot-2.txt --shares-out ./new-shares"
    )]
    Compromise(CompromiseArgs),
    /// Anchor files on the ledger as one of the wallet's did:didam DIDs: one
    /// ledger entry for the batch, and per file a proof bundle
    /// (`FILE.anchor.json`) that `didam anchor verify` checks offline.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Example:\n  didam anchor report.pdf minutes.txt --issuer did:didam:Qm...\n  \
didam anchor verify report.pdf --proof report.pdf.anchor.json\n\n\
Exit codes: 0 anchored, 2 usage error (not a DID of the wallet, a bundle exists), 3 the ledger could not be reached."
    )]
    Anchor(AnchorArgs),
    /// Walk through the X.1403 flow on a fresh embedded ledger: issuer and
    /// holder DIDs, a credential with a status entry, a presentation
    /// verified against the ledger's proofs, a leaked key rotated away, the
    /// credential revoked.
    #[command(
        after_help = "Example:\n  didam tour\n  didam tour --out ./tour && didam --ledger ./tour/ledger.db vc verify ./tour/credential.json"
    )]
    Tour(TourArgs),
    /// Settings: where the wallet, the ledger and the resolver are.
    #[command(subcommand, after_help = "Example:\n  didam config show")]
    Config(ConfigCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  didam completions bash > ~/.local/share/bash-completion/completions/didam\n  didam completions zsh > ~/.zfunc/_didam"
    )]
    Completions(CompletionsArgs),
    /// Write man pages (one per command) to a folder.
    #[command(after_help = "Example:\n  didam man --out ~/.local/share/man/man1")]
    Man(ManArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print every setting, its value and where it came from (flag,
    /// environment, config file or default).
    #[command(
        after_help = "Example:\n  didam config show\n  DIDAM_LEDGER=http://127.0.0.1:8080 didam config show --json"
    )]
    Show(JsonArg),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The folder to write `didam.1`, `didam-vc.1`, `didam-vc-verify.1`, ... to.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Overwrite pages already in the folder.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VcCommand {
    /// Verify a credential or presentation (JSON with Data Integrity proofs,
    /// an enveloped credential, a compact vc+jwt, or an SD-JWT VC with or
    /// without key binding). Needs no wallet.
    #[command(
        after_help = "Example:\n  didam vc verify credential.json\n  cat credential.jwt | didam vc verify - --json\n\n\
Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable input, 3 could not check (unknown context, unresolvable DID, unsupported proof)."
    )]
    Verify(VerifyArgs),
    /// Issue a credential as one of the wallet's DIDs (sets `issuer`, signs).
    /// With `--status`, adds a revocation (and with `--suspension` a
    /// suspension) entry at a random index of the issuer's status list,
    /// publishing the list on first use: on the ledger for a did:didam issuer,
    /// as a file in `--status-dir` (served at `--status-url`) otherwise.
    #[command(
        after_help = "Example:\n  didam vc issue unsigned.json --issuer did:didam:Qm... --out credential.json\n  \
didam vc issue unsigned.json --issuer did:didam:Qm... --status --suspension --out credential.json\n  \
didam vc issue unsigned.json --issuer did:key:z6Mk... --status --status-dir ./status --status-url https://issuer.example/status\n  \
didam vc issue claims.json --format dc+sd-jwt --issuer did:key:zDn... --vct https://example.org/degree --holder did:key:z6Mk... --disclose /birthdate --disclose /degree --out degree.sd-jwt\n\n\
Exit codes: 0 issued, 2 usage error (unknown issuer, bad input, file exists), 3 the ledger or the list could not be published."
    )]
    Issue(IssueArgs),
    /// Derive a credential disclosing only some claims of an `ecdsa-sd-2023`
    /// or `bbs-2023` credential (the holder's step; a `bbs-2023` derivation
    /// is unlinkable to the others): the issuer's mandatory claims and
    /// those `--disclose` points at (JSON pointers). Needs no wallet.
    #[command(after_help = "Example:
  didam vc derive degree.json --disclose /credentialSubject/degree --out -
  didam vc derive degree.json --disclose /credentialSubject/degree/name --disclose /validFrom --out disclosed.json

Exit codes: 0 derived, 2 usage error (a pointer into nothing or given twice, no ecdsa-sd-2023 or bbs-2023 base proof, file exists).")]
    Derive(DeriveArgs),
    /// Revoke a credential this wallet issued with `--status` (final):
    /// sets its bit, re-signs and re-publishes the revocation list.
    #[command(
        after_help = "Example:\n  didam vc revoke urn:uuid:...\n  didam vc revoke credential.json --json\n\n\
Exit codes: 0 done, 2 usage error (not issued here, no such entry, already final), 3 the list could not be published."
    )]
    Revoke(StatusArgs),
    /// Suspend a credential this wallet issued with `--status --suspension`.
    #[command(after_help = "Example:\n  didam vc suspend urn:uuid:...\n\n\
Exit codes: 0 done, 2 usage error, 3 the list could not be published.")]
    Suspend(StatusArgs),
    /// Lift the suspension of a credential this wallet issued.
    #[command(after_help = "Example:\n  didam vc reinstate urn:uuid:...\n\n\
Exit codes: 0 done, 2 usage error (revocation is final), 3 the list could not be published.")]
    Reinstate(StatusArgs),
    /// Anchor credentials this wallet issued, while their key is current:
    /// one ledger entry for the batch, and beside each credential its proof
    /// bundle `CRED.anchor.json` (`didam anchor verify CRED --credential
    /// --proof CRED.anchor.json` checks it offline).
    #[command(after_help = "Example:\n  didam vc anchor degree.json transcript.json\n\n\
Exit codes: 0 anchored, 2 usage error (not a credential, not issued by a DID of the wallet), 3 the ledger could not be reached.")]
    Anchor(VcAnchorArgs),
    /// Store a received credential in the wallet (sealed).
    #[command(after_help = "Example:\n  didam vc store credential.json")]
    Store(FileArg),
    /// List the stored credentials.
    #[command(after_help = "Example:\n  didam vc list --json")]
    List(JsonArg),
    /// Print a stored credential.
    #[command(after_help = "Example:\n  didam vc show urn:uuid:...")]
    Show(IdArg),
    /// Delete a stored credential.
    #[command(after_help = "Example:\n  didam vc delete urn:uuid:...")]
    Delete(IdArg),
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// The unsigned credential (JSON; for `--format dc+sd-jwt` its claims),
    /// or `-` for standard input.
    pub(crate) file: PathBuf,
    /// The issuer: a DID of this wallet.
    #[arg(long)]
    pub(crate) issuer: Did,
    /// The format: a W3C credential with a Data Integrity proof, or an IETF
    /// SD-JWT VC.
    #[arg(long, value_enum, default_value = "data-integrity")]
    pub(crate) format: IssueFormat,
    /// With `--format dc+sd-jwt`: the credential type (`vct`).
    #[arg(long)]
    pub(crate) vct: Option<String>,
    /// With `--format dc+sd-jwt`: the holder's DID; its first authentication
    /// key becomes the credential's `cnf`. Repeat to issue one copy per
    /// holder key (a batch: each copy with its own salts).
    #[arg(long = "holder", value_name = "DID")]
    pub(crate) holders: Vec<Did>,
    /// With `--format dc+sd-jwt`: a JSON pointer to a claim to make
    /// selectively disclosable (repeat for more; nested claims and array
    /// elements too), e.g. `/birthdate`.
    #[arg(long = "disclose", value_name = "POINTER")]
    pub(crate) disclose: Vec<String>,
    /// With `--format dc+sd-jwt`: decoy digests added to each object with
    /// selectively disclosable claims.
    #[arg(long, default_value_t = 0)]
    pub(crate) decoys: usize,
    /// With `--format dc+sd-jwt`: days until the credential expires (`exp`).
    #[arg(long)]
    pub(crate) valid_days: Option<u32>,
    /// The proof suite.
    #[arg(long, default_value = "eddsa-rdfc-2022", value_parser = suite)]
    pub(crate) suite: Suite,
    /// With `--suite ecdsa-sd-2023` or `bbs-2023`: a JSON pointer to a claim every
    /// derived credential discloses (repeat for more), e.g. `/issuer`.
    #[arg(long = "mandatory", value_name = "POINTER")]
    pub(crate) mandatory: Vec<String>,
    /// Write the credential here instead of standard output (`-`: standard output).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite `--out`.
    #[arg(long)]
    pub(crate) force: bool,
    /// Add a revocation status entry (Bitstring Status List); with `--format
    /// dc+sd-jwt`, an entry of the issuer's Token Status List (revocable and
    /// suspendable), written to `--status-dir`.
    #[arg(long)]
    pub(crate) status: bool,
    /// With `--status`: also a suspension entry.
    #[arg(long, requires = "status")]
    pub(crate) suspension: bool,
    /// For issuers without a ledger DID (and every SD-JWT VC issuer): the
    /// folder the lists are written to
    /// (a daemon serves it with `didam-resolver --status-dir`).
    #[arg(long, requires = "status_url")]
    pub(crate) status_dir: Option<PathBuf>,
    /// The URL `--status-dir` is served at (e.g. `https://issuer.example/status`).
    #[arg(long, requires = "status_dir")]
    pub(crate) status_url: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DeriveArgs {
    /// The credential with its `ecdsa-sd-2023` or `bbs-2023` base proof, or `-` for standard input.
    pub(crate) file: PathBuf,
    /// A JSON pointer to a claim to disclose (repeat for more), e.g.
    /// `/credentialSubject/degree`. Without any, only the issuer's
    /// mandatory claims are disclosed.
    #[arg(long = "disclose", value_name = "POINTER")]
    pub(crate) disclose: Vec<String>,
    /// Write the derived credential here instead of standard output (`-`: standard output).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite `--out`.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The credential: its id (as `didam vc list`/`issue` show it) or a file
    /// holding it.
    pub(crate) credential: String,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct FileArg {
    /// The file, or `-` for standard input.
    pub(crate) file: PathBuf,
}

// `--json`, alone or flattened into a command's other options.
#[derive(Debug, Args)]
pub(crate) struct JsonArg {
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IdArg {
    /// The record id.
    pub(crate) id: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VpCommand {
    /// Present stored or given credentials as one of the wallet's DIDs, with
    /// the verifier's challenge and domain.
    #[command(
        after_help = "Example:\n  didam vp create --holder did:didam:Qm... --challenge 8b2f --domain verifier.example credential.json\n  \
didam vp create --holder did:key:z6Mk... --disclose /degree --nonce 8b2f --aud https://verifier.example degree.sd-jwt\n  \
didam vp create --holder did:didam:Qm... --disclose /credentialSubject/degree --challenge 8b2f --domain verifier.example degree-sd.json"
    )]
    Create(PresentArgs),
    /// Verify a presentation (same as `didam vc verify` with a challenge and domain).
    #[command(
        after_help = "Example:\n  didam vp verify presentation.json --challenge 8b2f --domain verifier.example\n  \
didam vp verify presented.sd-jwt --nonce 8b2f --aud https://verifier.example"
    )]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PresentArgs {
    /// Credential files to include (for an SD-JWT VC, one file: the
    /// SD-JWT, or a batch of copies one a line).
    pub(crate) files: Vec<PathBuf>,
    /// The holder: a DID of this wallet.
    #[arg(long)]
    pub(crate) holder: Did,
    /// The verifier's challenge (an SD-JWT VC's Key Binding JWT `nonce`).
    #[arg(long, visible_alias = "nonce")]
    pub(crate) challenge: Option<String>,
    /// The verifier's domain (an SD-JWT VC's Key Binding JWT `aud`).
    #[arg(long, visible_alias = "aud")]
    pub(crate) domain: Option<String>,
    /// A JSON pointer to a claim to disclose (repeat for more). For an
    /// SD-JWT VC its parents' disclosures come with it, and without any no
    /// selectively disclosable claim is disclosed. Credentials with an
    /// ecdsa-sd-2023 or bbs-2023 base proof are derived first (as by
    /// `didam vc derive`), disclosing their mandatory claims and these.
    #[arg(long = "disclose", value_name = "POINTER")]
    pub(crate) disclose: Vec<String>,
    /// The proof suite.
    #[arg(long, default_value = "eddsa-rdfc-2022", value_parser = suite)]
    pub(crate) suite: Suite,
    /// Write the presentation here instead of standard output (`-`: standard output).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite `--out`.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WalletCommand {
    /// Create a wallet. Writes SLIP-39 shares of the wallet root and of the
    /// rotation secret to `--shares-out`, one file per share: keep them
    /// apart, offline. The rotation secret is never stored in the wallet.
    #[command(after_help = "Example:\n  didam wallet init --shares-out ./shares --threshold 2 --shares 3")]
    Init(InitArgs),
    /// Check the wallet: MAC, every record, key derivations.
    #[command(after_help = "Example:\n  didam wallet check")]
    Check(JsonArg),
    /// Write a backup (age format) of the wallet now.
    #[command(after_help = "Example:\n  didam wallet backup --out ./wallet-backup.age")]
    Backup(BackupArgs),
    /// Restore the wallet from a backup and shares of its root; refuses a
    /// backup older than the wallet unless --force.
    #[command(
        after_help = "Example:\n  didam wallet restore --shares share-1.txt,share-2.txt --backup backup.age"
    )]
    Restore(RecoverArgs),
    /// Change the passphrase (re-wraps only the root).
    #[command(after_help = "Example:\n  didam wallet passwd --new-passphrase-file new.txt")]
    Passwd(PasswdArgs),
    /// Take every DID's state (version, update key, signing keys) from its
    /// own ledger, after a restore or whenever the wallet may be behind. A
    /// DID whose ledger file is gone gets its log back from the wallet.
    #[command(
        after_help = "Example:\n  didam wallet resync\n  didam --ledger ./new-ledger.db wallet resync --adopt"
    )]
    Resync(ResyncArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ResyncArgs {
    /// Move DIDs whose embedded ledger file is gone onto the ledger
    /// `--ledger` names (their logs come from the wallet); it becomes their
    /// ledger.
    #[arg(long)]
    pub(crate) adopt: bool,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

/// Where and how to split a new root secret into SLIP-39 shares.
#[derive(Debug, Args)]
pub(crate) struct SharesOut {
    /// Folder to write the share files to.
    #[arg(long)]
    pub(crate) shares_out: PathBuf,
    /// Shares needed to recover.
    #[arg(long, default_value_t = 2)]
    pub(crate) threshold: u8,
    /// Shares to make.
    #[arg(long = "shares", default_value_t = 3)]
    pub(crate) count: u8,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) shares: SharesOut,
    /// Key-derivation cost: `calibrate` (about 0.5 s here) or `floor`
    /// (m=64 MiB, t=3: the minimum didam accepts).
    #[arg(long, default_value = "calibrate")]
    pub(crate) kdf: String,
    /// Read the new passphrase from this file instead of a prompt.
    #[arg(long)]
    pub(crate) new_passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// Where to write the backup [default: the wallet's `backups` folder];
    /// an existing file is never replaced; `-` is standard output (never a
    /// terminal).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct RecoverArgs {
    /// Files with shares of the wallet root (one per line; comma-separated list).
    #[arg(long, value_delimiter = ',', required = true)]
    pub(crate) shares: Vec<PathBuf>,
    /// The backup file.
    #[arg(long)]
    pub(crate) backup: PathBuf,
    /// Read the new passphrase from this file instead of a prompt.
    #[arg(long)]
    pub(crate) new_passphrase_file: Option<PathBuf>,
    /// Restore even a backup older than the wallet's state.
    #[arg(long)]
    pub(crate) force: bool,
    /// Key-derivation cost of the rebuilt wallet: `calibrate` or `floor`.
    #[arg(long, default_value = "calibrate")]
    pub(crate) kdf: String,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct PasswdArgs {
    /// Read the new passphrase from this file instead of a prompt.
    #[arg(long)]
    pub(crate) new_passphrase_file: Option<PathBuf>,
    /// Key-derivation cost: `calibrate` or `floor`.
    #[arg(long, default_value = "calibrate")]
    pub(crate) kdf: String,
}

#[derive(Debug, Args)]
pub(crate) struct CompromiseArgs {
    /// The DID whose keys leaked (every DID of the wallet is rotated: its
    /// keys all derive from the one wallet root).
    #[arg(long)]
    pub(crate) did: Did,
    #[command(flatten)]
    pub(crate) shares: SharesOut,
    /// A new leak after a compromise that finished: re-key the wallet again
    /// (an interrupted compromise is continued by running it again, without
    /// this flag).
    #[arg(long)]
    pub(crate) new_leak: bool,
    /// From where the leaked keys are compromised, as the rotations record
    /// it: `entirely` (the default), `leaf:<ledger position>`, or a
    /// versionId `<n>-<hash>` of `--did` (after that entry; the other DIDs
    /// then record `entirely`). Credentials anchored before it stay valid.
    #[arg(long, value_name = "POINT")]
    pub(crate) compromised_since: Option<CompromisedSince>,
    /// Key-derivation cost: `calibrate` or `floor`.
    #[arg(long, default_value = "calibrate")]
    pub(crate) kdf: String,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Sign a checkpoint of the embedded ledger with this wallet's operator
    /// key (the first wallet to sign becomes the ledger's operator).
    #[command(after_help = "Example:\n  didam ledger checkpoint")]
    Checkpoint(JsonArg),
    /// Recompute the whole tree and check every DID log of the embedded ledger.
    #[command(after_help = "Example:\n  didam ledger verify")]
    Verify(JsonArg),
    /// Print the keys the ledger signs its checkpoints with (Ed25519, and
    /// ML-DSA-44 once added; fingerprints to compare out of band) and the
    /// keys this machine pinned for it; or, with --add-ml-dsa, add the
    /// ML-DSA-44 key to this wallet's operator key.
    #[command(
        after_help = "Example:\n  didam ledger operator\n  didam ledger operator --add-ml-dsa\n  didam --ledger http://127.0.0.1:8080 ledger operator"
    )]
    Operator(OperatorArgs),
    /// Move this machine's pin of the ledger's operator key: along the
    /// handovers the pinned key signed (also done by itself whenever a
    /// did:didam DID is resolved), or by hand with --trust after checking
    /// the new key's fingerprint with the operator out of band.
    #[command(
        after_help = "Example:\n  didam ledger repin\n  didam ledger repin --trust 'localhost/didam-ledger+1a2b3c4d+AQ...'"
    )]
    Repin(RepinArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OperatorArgs {
    /// Add an ML-DSA-44 checkpoint key (derived from the wallet root) beside
    /// the Ed25519 one of the embedded ledger this wallet operates, and sign
    /// a checkpoint: from now on checkpoints carry both signatures.
    #[arg(long)]
    pub(crate) add_ml_dsa: bool,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct RepinArgs {
    /// The new key (as `didam ledger operator` prints it) to pin by hand; the
    /// ledger must announce it. The key pinned before is retired.
    #[arg(long, value_name = "VKEY")]
    pub(crate) trust: Option<String>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SharesCommand {
    /// Check shares (words, checksum, padding) without reconstructing anything.
    #[command(after_help = "Example:\n  didam shares verify ./shares/wallet-share-1.txt")]
    Verify(SharesVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SharesVerifyArgs {
    /// Share files (one share per line).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The file to verify, or `-` for standard input.
    #[arg(default_value = "-")]
    pub(crate) file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Challenge a presentation's proof must carry. A presentation verified
    /// without one (and without `--no-challenge`) is INVALID: anyone who saw
    /// it could replay it. For an SD-JWT VC, the nonce its Key Binding
    /// JWT must carry.
    #[arg(long, visible_alias = "nonce")]
    pub(crate) challenge: Option<String>,
    /// Accept a presentation without a challenge; the report then says that
    /// nothing prevents its replay (check `replay-protection`, n/a).
    #[arg(long, conflicts_with = "challenge")]
    pub(crate) no_challenge: bool,
    /// Domain a presentation's proof must carry (for an SD-JWT VC, the
    /// `aud` of its Key Binding JWT).
    #[arg(long, visible_alias = "aud")]
    pub(crate) domain: Option<String>,
    /// Allowed clock difference with the issuer, in seconds (overrides the
    /// policy's `clock_skew`).
    #[arg(long)]
    pub(crate) clock_skew: Option<i64>,
    /// A verification policy (TOML or JSON): trusted issuers, accepted
    /// suites, required status, maximum credential age, whether the signing
    /// key must be the issuer's (`issuer_key_binding`, "required" by default).
    #[arg(long)]
    pub(crate) policy: Option<PathBuf>,
    /// Also fetch status lists from loopback addresses (plain HTTP allowed):
    /// a daemon on this machine, tests. Without it, status lists are fetched
    /// like did:web documents: HTTPS to public addresses only. The daemon's
    /// flag has the same name.
    #[arg(long, env = "DIDAM_STATUS_ALLOW_LOOPBACK")]
    pub(crate) status_allow_loopback: bool,
    /// The credential's anchor proof (`didam vc anchor` wrote it beside the
    /// credential): a credential of a did:didam issuer whose key has left its
    /// document verifies when anchored before the key left.
    #[arg(long, value_name = "PROOF")]
    pub(crate) anchor: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DidCommand {
    /// Create a DID on the ledger (did:didam), with pre-rotation from the
    /// rotation secret.
    #[command(
        after_help = "Example:\n  didam did create --method didam --rotation-shares rot-1.txt,rot-2.txt"
    )]
    Create(CreateArgs),
    /// Update a DID: new signing keys and/or services (rotates the update key too).
    #[command(
        after_help = "Example:\n  didam did update did:didam:Qm... --new-keys ed25519 --service hub=LinkedDomains=https://example.com"
    )]
    Update(UpdateArgs),
    /// Rotate a DID's update key: reveal the committed key, commit the next
    /// (with --control, keys of other types: quantum-safe or hybrid control).
    #[command(
        after_help = "Examples:\n  didam did rotate did:didam:Qm...\n  didam did rotate did:didam:Qm... --control ed25519,ml-dsa-44"
    )]
    Rotate(RotateArgs),
    /// Deactivate a DID for good.
    #[command(after_help = "Example:\n  didam did deactivate did:didam:Qm...")]
    Deactivate(DidArg),
    /// List the wallet's DIDs.
    #[command(after_help = "Example:\n  didam did list --json")]
    List(JsonArg),
    /// Submit DID operations written to the wallet but not confirmed by the
    /// ledger (after a crash or a network failure).
    #[command(after_help = "Example:\n  didam did reconcile")]
    Reconcile(JsonArg),
    /// Resolve a DID and print the W3C DID resolution result (did:key,
    /// did:jwk, and did:didam with the ledger's proofs checked).
    #[command(
        after_help = "Example:\n  didam did resolve did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2\n\n\
Exit codes: 0 resolved, 2 not a valid DID, 3 could not resolve (unsupported method, not found)."
    )]
    Resolve(ResolveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The DID method: `didam` (on the ledger) or `key` (a did:key of the
    /// first key type, kept in the wallet; no ledger, never rotated).
    #[arg(long, default_value = "didam")]
    pub(crate) method: String,
    /// Signing key types (comma-separated): ed25519, p256, secp256k1, p384, p521,
    /// ml-dsa-44 (quantum-safe).
    #[arg(long, value_delimiter = ',', default_value = "ed25519", value_parser = key_type)]
    pub(crate) key_type: Vec<KeyType>,
    /// The update keys that control the DID, one of each type, all signing
    /// every change (comma-separated): `ed25519`, `ml-dsa-44`
    /// (quantum-safe), or `ed25519,ml-dsa-44` (hybrid: control survives a
    /// break of either algorithm). did:didam only.
    #[arg(long, value_delimiter = ',', default_value = "ed25519", value_parser = key_type)]
    pub(crate) control: Vec<KeyType>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The DID.
    pub(crate) did: DidamDid,
    /// Move the DID's control to update keys of these types (comma-separated:
    /// `ml-dsa-44`, or `ed25519,ml-dsa-44` for hybrid control): this entry
    /// is signed by the keys committed before and commits to the new ones,
    /// so a thief holding the current key cannot stop the move. The DID does
    /// not change.
    #[arg(long, value_delimiter = ',', value_parser = key_type)]
    pub(crate) control: Vec<KeyType>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The DID.
    pub(crate) did: DidamDid,
    /// Replace the signing keys with new ones of these types (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = key_type)]
    pub(crate) new_keys: Vec<KeyType>,
    /// Set the services: `id=type=endpoint` (repeatable).
    #[arg(long)]
    pub(crate) service: Vec<Service>,
    /// The signing keys `--new-keys` replaces leaked: record them as
    /// compromised from POINT (`entirely`, `leaf:<ledger position>`, or a
    /// versionId `<n>-<hash>` of this DID: after that entry) instead of
    /// retired. Credentials they anchored before the point stay valid.
    #[arg(long, value_name = "POINT", requires = "new_keys")]
    pub(crate) compromised_since: Option<CompromisedSince>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct DidArg {
    /// The DID.
    pub(crate) did: DidamDid,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// The DID to resolve.
    pub(crate) did: Did,
    /// Print the result as compact JSON on one line instead of indented.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TourArgs {
    /// Work in this folder and keep it (wallets, ledger, credential,
    /// presentations) [default: a temporary folder, removed at the end].
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Replace the `--out` folder when an earlier tour made it (its
    /// `.didam-tour` marker proves it); any other folder is left alone.
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the tour's outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AnchorArgs {
    #[command(subcommand)]
    pub(crate) command: Option<AnchorCommand>,
    /// The files to anchor.
    pub(crate) files: Vec<PathBuf>,
    /// The did:didam DID of the wallet that anchors them.
    #[arg(long)]
    pub(crate) issuer: Option<DidamDid>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AnchorCommand {
    /// Verify a file's anchor proof offline, against the ledger operator's
    /// key pinned on this machine (or `--ledger-key`); the ledger is not
    /// contacted.
    #[command(after_help = "Example:\n  didam anchor verify report.pdf --proof report.pdf.anchor.json\n\n\
Exit codes: 0 valid, 1 invalid (another file, a bad proof, a key retired or compromised before the anchor), 2 usage error.")]
    Verify(AnchorVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AnchorVerifyArgs {
    /// The file (or credential, with `--credential`).
    pub(crate) file: PathBuf,
    /// The proof bundle.
    #[arg(long)]
    pub(crate) proof: PathBuf,
    /// The ledger operator's verifier key (`origin+keyid+base64`), instead
    /// of the key pinned for `--ledger`.
    #[arg(long, value_name = "VKEY")]
    pub(crate) ledger_key: Option<String>,
    /// The file is a credential: its digest leaves out its `anchorProof`.
    #[arg(long)]
    pub(crate) credential: bool,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct VcAnchorArgs {
    /// The credentials (JSON with Data Integrity proofs) to anchor.
    #[arg(required = true)]
    pub(crate) credentials: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) print: JsonArg,
}
