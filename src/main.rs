//! `wss-panel`: CLI dispatch only.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use wss_panel::client::{self, PanelClient};
use wss_panel::config::{Config, DEFAULT_CONFIG_PATH};
use wss_panel::system::{self, DEFAULT_HELPER_PATH};
use wss_panel::{
    backup, cli, connect, doctor, import, install, node_cmd, proxy, secure_files, telemetry, up, web,
};

#[derive(Parser)]
#[command(name = "wss-panel", version, about = "WSS SSH tunnel proxy and its admin panel")]
struct Cli {
    /// Path of config.json.
    #[arg(long, global = true, env = "WSS_PANEL_CONFIG", default_value = DEFAULT_CONFIG_PATH)]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane: store, actors, admin API.
    Panel,
    /// Run the data plane: the WSS tunnel ports.
    Proxy,
    /// Panel and proxy on unprivileged ports with a local data dir, for trying it out.
    Up(up::UpArgs),
    /// Manage tunnel users through the running panel.
    User {
        /// Print the API's JSON answer.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        command: cli::UserCmd,
    },
    /// Proxy nodes on other hosts: `token`, `list`, `revoke` (on the panel's host, through
    /// the running panel) and `enrol` (on the new node: writes its config.json).
    Node {
        /// Print the API's JSON answer.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        command: node_cmd::NodeCmd,
    },
    /// Move over from the original panel: users, history, bans, whitelist, fuse threshold and
    /// ports from its wss_panel.db, hosts.json and config.json. Run as root, panel stopped.
    ImportOriginal(import::ImportArgs),
    /// Download a consistent snapshot of the store from the running panel.
    Backup {
        /// Where to write it (default: wss-panel-STAMP.wssbak here).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the store with a backup, the panel stopped; the current store is kept aside.
    Restore { file: PathBuf },
    /// Check an installed system and print one line per check with the fix for each problem.
    Doctor(doctor::DoctorArgs),
    /// OpenSSH ProxyCommand: open a tunnel and pipe stdin/stdout through it.
    Connect(connect::ConnectArgs),
    /// Set the admin panel's login password (user `admin`): read from stdin, or generated
    /// and printed with --generate. Written as a bcrypt hash next to config.json.
    AdminPassword {
        #[arg(long)]
        generate: bool,
    },
    /// On an enrolled node: keeps the Linux accounts as the panel holds them (the proxy's
    /// spool of the panel's account messages, applied through the root helper).
    NodeAgent,
    /// The root helper the panel runs through sudo: `privileged <op> <args...>` (operations:
    /// create-user, set-password, lock, unlock, delete-user, grant-shell, revoke-shell,
    /// kill-user, ban-ip, unban-ip, restart, logs, is-active, set-crypt-hash, list-accounts,
    /// ...), or `--print-sudoers USER`.
    Privileged(PrivilegedArgs),
    /// Steps of install/install.sh that need crypto or JSON (not for direct use).
    #[command(hide = true, subcommand)]
    InstallHelper(install::InstallCmd),
}

#[derive(clap::Args)]
#[command(disable_help_flag = true, disable_version_flag = true)]
struct PrivilegedArgs {
    /// Print the sudoers rule that lets USER (the panel's account) run this helper.
    #[arg(long, value_name = "USER", conflicts_with = "op")]
    print_sudoers: Option<String>,
    /// The helper's path in the printed rule.
    #[arg(long, requires = "print_sudoers", default_value = DEFAULT_HELPER_PATH)]
    helper_path: String,
    /// The operation and its arguments, handed to the helper unparsed: it validates them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_parser = clap::value_parser!(OsString))]
    op: Vec<OsString>,
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        Command::Panel => serve(&args.config, |c| actix_web::rt::System::new().block_on(web::run_panel(c))),
        Command::Proxy => serve(&args.config, proxy::main),
        Command::Up(up_args) => {
            telemetry::init();
            report(up::run(up_args))
        }
        Command::NodeAgent => serve(&args.config, wss_panel::node_agent::main),
        Command::Privileged(privileged) => run_privileged(privileged),
        Command::AdminPassword { generate } => serve(&args.config, |config| {
            let password = if generate {
                secure_files::random_hex(9)
            } else {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            };
            web::admin_password::set_from_cli(&config, &password)?;
            if generate {
                println!("admin password: {password}");
            }
            Ok(())
        }),
        Command::Doctor(doctor_args) => {
            let (report, all_ok) = doctor::run(&args.config, &doctor_args);
            print!("{report}");
            if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Command::InstallHelper(step) => match install::run(step) {
            Ok(said) => {
                print!("{said}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("wss-panel: {e}");
                ExitCode::from(client::exit::USAGE_OR_CONFIG as u8)
            }
        },
        Command::User { json, command } => {
            let result = Config::load(&args.config)
                .map_err(client::ClientError::from)
                .and_then(|config| PanelClient::from_config(&config))
                .and_then(|client| cli::run(&client, command, json));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("wss-panel: {e}");
                    ExitCode::from(e.exit_code() as u8)
                }
            }
        }
        Command::Node { command: node_cmd::NodeCmd::Enrol { panel, token }, .. } => {
            match node_cmd::enrol(&args.config, &panel, &token) {
                Ok(name) => {
                    println!("enrolled as node {name}; wrote {}", args.config.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("wss-panel: {e}");
                    ExitCode::from(client::exit::UNAVAILABLE as u8)
                }
            }
        }
        Command::Node { json, command } => {
            let result = Config::load(&args.config)
                .map_err(client::ClientError::from)
                .and_then(|config| PanelClient::from_config(&config))
                .and_then(|client| node_cmd::run_admin(&client, command, json));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("wss-panel: {e}");
                    ExitCode::from(e.exit_code() as u8)
                }
            }
        }
        Command::ImportOriginal(import_args) => offline(&args.config, |config| {
            let mut accounts = import::accounts::HostAccounts;
            print!("{}", import::run(&config, &import_args, &mut accounts)?);
            Ok(())
        }),
        Command::Restore { file } => offline(&args.config, |config| {
            let done = backup::restore::restore(&config, &file, wss_panel::domain::now_unix())?;
            println!("restored {} (a snapshot of {})", file.display(), backup::stamp(done.created_at));
            for (table, n) in &done.counts {
                println!("  {table}: {n}");
            }
            if let Some(aside) = done.aside {
                println!("the previous store is kept as {}", aside.display());
            }
            Ok(())
        }),
        Command::Backup { out } => {
            let result = Config::load(&args.config)
                .map_err(client::ClientError::from)
                .and_then(|config| PanelClient::from_config(&config))
                .and_then(|client| backup::download(&client, out.as_deref(), wss_panel::domain::now_unix()));
            match result {
                Ok((path, size)) => {
                    println!("backup written: {} ({size} bytes)", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("wss-panel: {e}");
                    ExitCode::from(e.exit_code() as u8)
                }
            }
        }
        Command::Connect(connect_args) => {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return report(Err(e.into())),
            };
            let result = runtime.block_on(connect::run(connect_args));
            // A read of stdin may still be blocked in a pool thread; waiting for it would
            // keep ssh waiting for us after the tunnel is gone.
            runtime.shutdown_background();
            report(result)
        }
    }
}

fn run_privileged(args: PrivilegedArgs) -> ExitCode {
    let Some(user) = args.print_sudoers else {
        return system::helper::run_os(&args.op);
    };
    match system::sudoers::render(&user, &args.helper_path) {
        Ok(rule) => {
            print!("{rule}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wss-panel: {e}");
            ExitCode::from(system::exit::REFUSED)
        }
    }
}

/// Loads the config (exit 64 if bad) and runs a long-lived process.
fn serve(config_path: &std::path::Path, run: impl FnOnce(Config) -> anyhow::Result<()>) -> ExitCode {
    telemetry::init();
    match Config::load(config_path) {
        Ok(config) => report(run(config)),
        Err(e) => {
            eprintln!("wss-panel: {e}");
            ExitCode::from(client::exit::USAGE_OR_CONFIG as u8)
        }
    }
}

/// A one-shot command that opens the store itself (the panel stopped): logs to stderr only.
fn offline(config_path: &std::path::Path, run: impl FnOnce(Config) -> anyhow::Result<()>) -> ExitCode {
    match Config::load(config_path) {
        Ok(config) => report(run(config)),
        Err(e) => {
            eprintln!("wss-panel: {e}");
            ExitCode::from(client::exit::USAGE_OR_CONFIG as u8)
        }
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wss-panel: {e:#}");
            ExitCode::FAILURE
        }
    }
}
