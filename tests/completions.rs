//! `heapsnap completions SHELL`: the generated scripts load in the real shells and complete
//! subcommands, flags and values. bash is required; zsh and fish are used when installed
//! (.ci/run installs them) and reported as skipped otherwise.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::util::heapsnap_ok;

fn shell_available(shell: &str) -> bool {
    let found = Command::new(shell).args(["-c", "true"]).output().is_ok_and(|o| o.status.success());
    if !found {
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the {shell} completion test: `{shell}` not found (.ci/run installs it)"
        );
    }
    found
}

fn write_script(dir: &Path, shell: &str) -> String {
    let script = heapsnap_ok(&["completions", shell]);
    let path = dir.join(format!("heapsnap.{shell}"));
    std::fs::write(&path, &script).unwrap();
    path.to_string_lossy().into_owned()
}

fn run(shell: &str, code: &str) -> String {
    let out = Command::new(shell).args(["-c", code]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{shell} -c {code:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{shell} complained: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_shell_script_names_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = heapsnap_ok(&["completions", shell]);
        for sub in ["info", "summary", "top", "retainers", "diff", "leaks", "dump", "capture"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
        for sub in ["watch", "convert", "completions"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let out = crate::util::heapsnap(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: bash"));
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "bash");
    // What bash does on TAB: COMP_WORDS/COMP_CWORD set, the function called with the command,
    // the word being completed and the word before it.
    let complete = |words: &[&str]| -> Vec<String> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cword = words.len() - 1;
        let prev = words[cword - 1];
        let cur = words[cword];
        let out = run(
            "bash",
            &format!(
                "source '{script}'; complete -p heapsnap >/dev/null; \
                 COMP_WORDS=({}); COMP_CWORD={cword}; \
                 _heapsnap heapsnap '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                quoted.join(" ")
            ),
        );
        out.lines().map(str::to_string).collect()
    };
    assert_eq!(complete(&["heapsnap", "le"]), ["leaks"]);
    assert_eq!(complete(&["heapsnap", "co"]), ["convert", "completions"]);
    assert_eq!(complete(&["heapsnap", "leaks", "--fail"]), ["--fail-on-leak"]);
    assert!(complete(&["heapsnap", "diff", "--"]).contains(&"--fail-class".to_string()));
    let shells = complete(&["heapsnap", "completions", ""]);
    for s in ["bash", "zsh", "fish"] {
        assert!(shells.contains(&s.to_string()), "{shells:?}");
    }
}

#[test]
fn fish_completes_subcommands_and_flags() {
    if !shell_available("fish") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "fish");
    let out = run("fish", &format!("source '{script}'; complete -C 'heapsnap le'"));
    assert!(out.starts_with("leaks\tFind leaks"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let out = run("fish", &format!("source '{script}'; complete -C 'heapsnap leaks --fail'"));
    assert!(out.starts_with("--fail-on-leak\t"), "{out}");
    let out = run("fish", &format!("source '{script}'; complete -C 'heapsnap capture --wor'"));
    assert!(out.starts_with("--worker\t"), "{out}");
}

#[test]
fn zsh_loads_the_script_and_registers_it() {
    if !shell_available("zsh") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "zsh");
    run("zsh", &format!("zsh -n '{script}'"));
    // compinit's registry maps the command to the function the script defines.
    let out = run(
        "zsh",
        &format!(
            "autoload -U compinit && compinit -u -D; source '{script}'; \
             print -r -- ${{_comps[heapsnap]}}; whence -w _heapsnap"
        ),
    );
    assert_eq!(out, "_heapsnap\n_heapsnap: function\n");
}
