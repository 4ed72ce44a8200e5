//! `errata serve`: starts the server and prints where to find it, how to log in, and
//! the first project's DSN.

use anyhow::Context as _;
use errata_server::{Config, Server, shutdown_signal};

pub(crate) fn run(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("errata-http")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let database = crate::database::describe(&config)?;
        // Opening migrates: a blocking job, off the runtime's workers.
        let store = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || crate::database::open_store(&config))
                .await
                .context("opening the database")??
        };
        let server = Server::start_with_store(config, store)
            .await
            .context("starting the server")?;
        let welcome = server.welcome().clone();
        let addr = server.local_addr().context("reading the bound address")?;
        #[allow(clippy::print_stdout, reason = "the operator reads these lines")]
        {
            println!("Errata is running.");
            println!(
                "  Open:       {}/  (the web UI; Web API under /api/0/; listening on {addr})",
                welcome.url.trim_end_matches('/')
            );
            match &welcome.generated_password {
                Some(password) => println!(
                    "  Login:      {} / {password}  (generated: shown only this once)",
                    welcome.admin_email
                ),
                None => println!(
                    "  Login:      {}  (lost the password? errata user reset-password {})",
                    welcome.admin_email, welcome.admin_email
                ),
            }
            println!("  DSN:        {}", welcome.dsn);
            println!("  Database:   {database}");
            println!("Stop with Ctrl-C; everything accepted is committed before exit.");
        }
        server.run(shutdown_signal()).await.context("serving")
    })
}
