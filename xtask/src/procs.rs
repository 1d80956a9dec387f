//! The demo's child processes (the emulator and `junction serve`): started with their output
//! in log files, watched while the demo runs, and always stopped — on Ctrl-C / SIGTERM, on
//! any failure (the guard's `Drop`), and, on Linux, when xtask itself dies (parent-death
//! signal), so a demo never leaves orphans behind.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Set by Ctrl-C or SIGTERM; every wait loop of the demo checks it.
#[derive(Clone)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Install the Ctrl-C / SIGTERM handler (once per process).
    pub fn install() -> Result<Self> {
        let flag = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&flag);
        ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C / SIGTERM handler")?;
        Ok(Self(flag))
    }

    pub fn raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// An error when a stop was requested, so `?` unwinds (and the guard stops the children).
    pub fn check(&self) -> Result<()> {
        if self.raised() {
            bail!("interrupted");
        }
        Ok(())
    }

    /// Sleep in small steps, returning early (with an error) when a stop is requested.
    pub fn sleep(&self, total: Duration) -> Result<()> {
        let end = Instant::now() + total;
        loop {
            self.check()?;
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(Duration::from_millis(100)));
        }
    }
}

/// One running child with a name and its log file.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

/// Every child the demo started; dropping it stops them (last started first).
#[derive(Default)]
pub struct Children {
    procs: Vec<Proc>,
}

impl Children {
    /// Start `cmd` in its own process group (so the terminal's Ctrl-C reaches xtask, which
    /// then stops the children in order), stdout and stderr appended to `log`.
    pub fn spawn(&mut self, name: &str, cmd: &mut Command, log: &Path) -> Result<()> {
        let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        die_with_parent(cmd);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start the {name}: {cmd:?}"))?;
        self.procs.push(Proc {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        });
        Ok(())
    }

    /// An error naming the first child that exited, with the end of its log.
    pub fn check_alive(&mut self) -> Result<()> {
        for p in &mut self.procs {
            if let Ok(Some(status)) = p.child.try_wait() {
                bail!(
                    "the {} exited unexpectedly ({status}); end of {}:\n{}",
                    p.name,
                    p.log.display(),
                    log_tail(&p.log, 20)
                );
            }
        }
        Ok(())
    }

    /// SIGTERM each child (last started first), wait up to 10 s, then SIGKILL.
    pub fn stop_all(&mut self) {
        while let Some(mut p) = self.procs.pop() {
            if let Ok(Some(_)) = p.child.try_wait() {
                continue;
            }
            if let Ok(pid) = libc::pid_t::try_from(p.child.id()) {
                // SAFETY: `kill` has no memory-safety preconditions; the pid is our own
                // child, not yet reaped, so it cannot have been reused.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            let exited = loop {
                match p.child.try_wait() {
                    Ok(Some(_)) => break true,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    _ => break false,
                }
            };
            if !exited {
                eprintln!("xtask: the {} did not stop in 10 s; killing it", p.name);
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Linux: the child gets SIGTERM when xtask dies, even by SIGKILL.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls `prctl`, which is
    // async-signal-safe; it touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// The last `lines` lines of a log file (or why it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
