//! `composex`: render a compose file to the CloudFormation template the macro would produce,
//! print the macro event for it, or check it. All the work is in `composex::cli`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let env = |k: &str| std::env::var(k).ok();
    // Buffered: a render may print dozens of warnings, each of several pieces.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let code = composex::cli::run_on(&args, &cwd, &env, &mut out, &mut err, colour);
    use std::io::Write;
    let _ = err.flush();
    let _ = out.flush();
    std::process::exit(code);
}
