//! `cargo bench --bench scale`: how `infra build` and `infra check` grow
//! with the size of a program, and what memory they keep, each against the
//! floor of serde_json reading and rewriting the template emitted.
//!
//! Programs: a generated stack of a network, subnets, security groups,
//! servers and volumes, in two forms: native (CloudFormation's own types,
//! copies made by `for` and referring to each other, `subnet[i]`) and
//! portable (`network.Subnet`, `compute.Server`, `storage.Volume`...,
//! built for every target). `N` counts the program's resources (copies
//! included): 50, 500 and 5,000; `INFRA_SCALE_LARGE=1` adds 50,000, and
//! `INFRA_SCALE_SIZES=50,500` chooses the sizes.
//!
//! - Each build is the release binary as a process, `infra build FILE -t
//!   TARGET -o DIR`, start to exit, run through this bench as a fresh
//!   process (`INFRA_SCALE_MEASURE`) so that the peak resident memory
//!   (`ru_maxrss`) is the compiler's own. A program too large for one
//!   template is built into nested stacks (`BLOCK` keeps each declaration
//!   small enough for one). A build the command refuses all the same is
//!   timed in this process through the library calls it makes (check,
//!   lower, emit, source map), its peak the heap's, marked `lib`.
//! - `check` is `infra check FILE` (every target the program has) as a
//!   process.
//! - The floor is serde_json reading each template file (a nested stack's
//!   parent and children), parsing it, printing it back (pretty) and
//!   writing it, as one process too (this bench, `INFRA_SCALE_FLOOR`),
//!   start to exit, with mimalloc and without transparent huge pages, as
//!   `infra` runs (`INFRA_SCALE_FLOOR_HUGE_PAGES=1` gives it huge pages:
//!   at N = 5,000 a median 22 ms instead of 29, and now and then 100 ms
//!   as the kernel makes room for one). `check`'s floor is the sum of
//!   every target's floor; its ratio to the largest target's floor alone
//!   is shown too.
//! - Memory: the peak against 3 × the templates' bytes + 16 MiB, and
//!   against 3 × every byte the build writes (templates and source maps) +
//!   16 MiB. A build of one template is run to standard output too
//!   (`infra build FILE -t TARGET`, no source map), its peak held to the
//!   same bar.
//! - A directory of 1,000 small generated programs, `infra check DIR`:
//!   wall time, CPU time (user + system) over wall time, peak memory.
//! - A realistic 2,000-line portable program of many kinds of resources:
//!   `check` and each target's build.
//!
//! - Last, each of the issue's bars (builds at most twice the floor,
//!   `check` three times, N = 50,000 at most 11 times N = 5,000, peak
//!   memory, the directory's cores and peak), met or not, with its worst
//!   case.
//!
//! Both `infra` and the floor are timed as installed: each binary is
//! copied once, as `cargo install` and package managers write it, beside
//! this bench (`BINARY-installed-PID`), and the copies run. The linker
//! writes its output a 4 KiB page at a time, and the kernel keeps a file
//! in the pieces it was written in: until the file leaves the page cache,
//! its code is mapped a few pages per fault. A copy, written in large
//! pieces, is mapped in large ones. At portable N = 50, `infra` straight
//! from the linker took 1.90 times the floor and its copy 1.62 (the same
//! bytes; `dd bs=4k` of it, 1.77; `cat` of it, 1.60); the floor, which
//! runs little code, gains 3% from its copy.
//!
//! Times are wall time and, in brackets, CPU time (user + system), which
//! a machine shared with other work disturbs less. Files are written to
//! memory (`/dev/shm`, or `INFRA_SCALE_DIR`), not to a disk whose
//! writeback would time the disk.
//! Every figure is the median of `INFRA_SCALE_RUNS` runs (default 5; 15
//! up to N = 500, where a run takes milliseconds; 3 at 50,000).
//! - time(N = 50,000) / time(N = 5,000) is measured again at the end, the
//!   two sizes run one after the other (`INFRA_SCALE_RUNS` times, default
//!   5): a shared machine's speed drifts in the minutes between the two
//!   sizes' rows, which moves their ratio; run alternately, both sizes
//!   see the same machine. The rows' ratio is shown beside it.

use std::alloc::{GlobalAlloc, Layout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use infra::ir::Target;

/// mimalloc, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Off in the floor's process, which is timed and not weighed.
static COUNTING: AtomicBool = AtomicBool::new(true);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !COUNTING.load(Ordering::Relaxed) {
            // Not counted.
        } else if new_size > layout.size() {
            let grown = new_size - layout.size();
            let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: f64 = 1024.0 * 1024.0;

/// The most copies one `for` makes: a declaration with all its copies is
/// kept in one nested stack, so it must fit in one (CloudFormation's 500
/// resources and 200 parameters: a server reads its subnet and its
/// security group, each a copy of a declaration in another stack).
const BLOCK: usize = 50;

/// A stack of `n` resources (about: a network, then a quarter each of
/// subnets, security groups, servers and volumes, as copies of loops of
/// up to `BLOCK` copies, each copy referring to its subnet, group or
/// server by index, `subnet[i]`), native (CloudFormation's types) or
/// portable.
fn stack(n: usize, portable: bool) -> String {
    let copies = (n.saturating_sub(1) / 4).max(1);
    let mut text = String::from(
        "/// A generated stack.\n\n/// The environment.\nparam env: \"staging\" | \"production\" = \"staging\"\n\n\
         /// The machine image.\nparam image: string = \"ami-0123456789abcdef0\"\n\n",
    );
    text.push_str(if portable {
        "resource net: network.Network {\n  name = \"${env}-net\"\n  cidr = \"10.0.0.0/8\"\n}\n\n"
    } else {
        "resource vpc: AWS::EC2::VPC {\n  CidrBlock = \"10.0.0.0/8\"\n}\n\n"
    });
    for (block, start) in (0..copies).step_by(BLOCK).enumerate() {
        // Letters: `server_1` copy 10 and `server_11` copy 0 would both be
        // `Server110` (E0503).
        let b = letters(block);
        let len = BLOCK.min(copies - start);
        // `g`: the copy's number in the whole stack.
        let g = format!("({start} + i)");
        let body = if portable {
            format!(
                "resource subnet_{b}: network.Subnet for i in 0..{len} {{\n  name = \"${{env}}-subnet-${{{g}}}\"\n  network = net\n  \
                 cidr = \"10.${{{g} / 250}}.${{{g} % 250}}.0/24\"\n}}\n\n\
                 resource sg_{b}: network.SecurityGroup for i in 0..{len} {{\n  name = \"${{env}}-sg-${{{g}}}\"\n  \
                 description = \"HTTPS into subnet ${{{g}}}\"\n  network = net\n  \
                 ingress = [{{ protocol = \"tcp\", port = 443, cidr = \"10.0.0.0/8\" }}]\n}}\n\n\
                 resource server_{b}: compute.Server for i in 0..{len} {{\n  name = \"${{env}}-server-${{{g}}}\"\n  image = image\n  \
                 subnet = subnet_{b}[i]\n  security_groups = [sg_{b}[i]]\n}}\n\n\
                 resource volume_{b}: storage.Volume for i in 0..{len} {{\n  name = \"${{env}}-volume-${{{g}}}\"\n  size_gb = 10\n  \
                 attach_to = server_{b}[i]\n}}\n\n"
            )
        } else {
            format!(
                "resource subnet_{b}: AWS::EC2::Subnet for i in 0..{len} {{\n  VpcId = vpc.id\n  \
                 CidrBlock = \"10.${{{g} / 250}}.${{{g} % 250}}.0/24\"\n  \
                 Tags = [{{ Key = \"Name\", Value = \"${{env}}-subnet-${{{g}}}\" }}]\n}}\n\n\
                 resource sg_{b}: AWS::EC2::SecurityGroup for i in 0..{len} {{\n  GroupDescription = \"HTTPS into subnet ${{{g}}}\"\n  \
                 VpcId = vpc.id\n  \
                 SecurityGroupIngress = [{{ IpProtocol = \"tcp\", FromPort = 443, ToPort = 443, CidrIp = \"10.0.0.0/8\" }}]\n}}\n\n\
                 resource server_{b}: AWS::EC2::Instance for i in 0..{len} {{\n  ImageId = image\n  InstanceType = \"t3.micro\"\n  \
                 SubnetId = subnet_{b}[i].id\n  SecurityGroupIds = [sg_{b}[i].id]\n}}\n\n\
                 resource volume_{b}: AWS::EC2::Volume for i in 0..{len} {{\n  \
                 AvailabilityZone = server_{b}[i].AvailabilityZone\n  Size = 10\n}}\n\n"
            )
        };
        text.push_str(&body);
    }
    text
}

/// `n` in letters: `a`, `b`, ... `z`, `ba`, `bb`...
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// A realistic portable program of about 2,000 lines: `tiers` copies of a
/// three-tier application (network, subnets, router, security groups,
/// servers, volumes, a load balancer, a database, DNS, a bucket), each
/// declared resource by resource, with lets, conditions and outputs.
fn realistic(tiers: usize) -> String {
    let mut text = String::from(
        "/// A realistic program: several applications side by side.\n\n\
         /// The environment.\nparam env: \"staging\" | \"production\" = \"staging\"\n\n\
         /// The machine image.\nparam image: string = \"ami-0123456789abcdef0\"\n\n\
         \
         let is_prod = env == \"production\"\n\nresource ctx: deploy.Context {}\n\n",
    );
    for t in 0..tiers {
        text.push_str(&format!(
            r##"// ------------------------------------------------------------ app {t}

let prefix_{t} = "app{t}-${{env}}"
let size_{t} = is_prod ? "large" : "small"

/// The network of app {t}.
resource net_{t}: network.Network {{
  name = "${{prefix_{t}}}-net"
  cidr = "10.{t}.0.0/16"
}}

/// Public subnets.
resource public_{t}: network.Subnet for i in 0..2 {{
  name = "${{prefix_{t}}}-public-${{i}}"
  network = net_{t}
  cidr = "10.{t}.${{i}}.0/24"
  public = true
  zone = ctx.zones[i]
}}

/// Private subnets.
resource private_{t}: network.Subnet for i in 0..2 {{
  name = "${{prefix_{t}}}-private-${{i}}"
  network = net_{t}
  cidr = "10.{t}.${{10 + i}}.0/24"
  zone = ctx.zones[i]
}}

resource gateway_{t}: network.Router {{
  name = "${{prefix_{t}}}-gateway"
  network = net_{t}
  subnets = public_{t}
  internet_access = true
}}

resource lb_sg_{t}: network.SecurityGroup {{
  name = "${{prefix_{t}}}-lb"
  description = "HTTP from anywhere"
  network = net_{t}
  ingress = [
    {{ protocol = "tcp", port = 80, cidr = "0.0.0.0/0", description = "HTTP" }},
    {{ protocol = "tcp", port = 443, cidr = "0.0.0.0/0", description = "HTTPS" }},
  ]
}}

resource web_sg_{t}: network.SecurityGroup {{
  name = "${{prefix_{t}}}-web"
  description = "application port from the load balancer"
  network = net_{t}
  ingress = [{{ protocol = "tcp", port = 8080, source_group = lb_sg_{t} }}]
}}

resource db_sg_{t}: network.SecurityGroup {{
  name = "${{prefix_{t}}}-db"
  description = "PostgreSQL from the web servers"
  network = net_{t}
  ingress = [{{ protocol = "tcp", port = 5432, source_group = web_sg_{t} }}]
}}

/// The web servers.
resource web_{t}: compute.Server for i in 0..3 {{
  name = "${{prefix_{t}}}-web-${{i}}"
  image = image
  size = size_{t}
  subnet = private_{t}[i % 2]
  security_groups = [web_sg_{t}]
  user_data = "#!/bin/sh\necho app{t} ${{env}} ${{i}} > /etc/motd\n"
}}

/// A data volume per web server.
resource data_{t}: storage.Volume for i in 0..3 {{
  name = "${{prefix_{t}}}-data-${{i}}"
  size_gb = is_prod ? 100 : 20
  type = is_prod ? "ssd" : "standard"
  attach_to = web_{t}[i]
}}

resource lb_{t}: lb.LoadBalancer {{
  name = "app{t}-lb"
  subnets = public_{t}
  security_groups = [lb_sg_{t}]
  pool_port = 8080
  health_check_path = "/health"
  members = web_{t}
}}

resource db_password_{t}: secret.RandomPassword {{
  length = 24
  special = false
}}

resource db_{t}: database.Instance {{
  name = "app{t}-db"
  engine = "postgres"
  version = "16"
  size = is_prod ? "large" : "small"
  storage_gb = is_prod ? 200 : 20
  username = "app"
  password = db_password_{t}.value
  subnets = private_{t}
  security_groups = [db_sg_{t}]
}}

resource assets_{t}: storage.Bucket {{
  name = "${{prefix_{t}}}-assets"
}}

/// The address of app {t}.
output url_{t} = "http://${{lb_{t}.dns_name}}/"

/// The database of app {t}.
output db_{t} = db_{t}.endpoint

"##
        ));
    }
    text
}

/// `n` small programs for `infra check DIR`: each a small portable stack.
fn many(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("create dir");
    for i in 0..n {
        let text = stack(13 + i % 8, true);
        std::fs::write(dir.join(format!("program_{i:04}.infra")), text).expect("write");
    }
}

/// Every file under `dir`.
fn written_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("out dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            written_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One run of the binary: wall time, CPU time of the child (user + system)
/// and its peak resident memory, and whether it succeeded.
struct Run {
    wall: Duration,
    cpu: Duration,
    peak: usize,
    ok: bool,
    stderr: String,
}

impl Run {
    fn sample(&self) -> Sample {
        Sample {
            wall: self.wall,
            cpu: self.cpu,
        }
    }
}

/// The issue's memory bar for a build writing `bytes`: 3 × them + 16 MiB.
fn memory_bar(bytes: usize) -> f64 {
    3.0 * bytes as f64 + 16.0 * MIB
}

/// `infra build PROGRAM -t TARGET -o OUT`'s arguments.
fn build_args(program: &Path, target: Target, out: &Path) -> Vec<std::ffi::OsString> {
    let mut args = print_args(program, target);
    args.extend(["-o".into(), out.into()]);
    args
}

/// `infra build PROGRAM -t TARGET`'s arguments: the template printed to
/// standard output (which the wrapper sends to `/dev/null`).
fn print_args(program: &Path, target: Target) -> Vec<std::ffi::OsString> {
    vec![
        "build".into(),
        program.into(),
        "-t".into(),
        target.name().into(),
    ]
}

/// `run` of arguments held as owned strings.
fn run_owned(args: &[std::ffi::OsString]) -> Run {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    run(&args)
}

/// Runs `infra ARGS` through this bench as a fresh process (see
/// `measured`), so that its peak is its own: a child forked from this
/// process would count this process's memory as its own.
fn run(args: &[&std::ffi::OsStr]) -> Run {
    through_wrapper(installed().infra.as_os_str(), args, None)
}

/// The binaries timed: copies of `infra` and of this bench (see the
/// module's doc), made on first use and removed by `main` at the end.
struct Installed {
    infra: PathBuf,
    floor: PathBuf,
}

fn installed() -> &'static Installed {
    static INSTALLED: std::sync::OnceLock<Installed> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let bench = std::env::current_exe().expect("the bench");
        let copy = |binary: &Path| {
            let name = binary
                .file_name()
                .expect("a binary's name")
                .to_string_lossy();
            let to = bench.with_file_name(format!("{name}-installed-{}", std::process::id()));
            std::fs::copy(binary, &to).expect("copy a binary to time");
            to
        };
        Installed {
            infra: copy(Path::new(env!("CARGO_BIN_EXE_infra"))),
            floor: copy(&bench),
        }
    })
}

fn through_wrapper(
    program: &std::ffi::OsStr,
    args: &[&std::ffi::OsStr],
    floor_of: Option<&Path>,
) -> Run {
    let mut command = Command::new(std::env::current_exe().expect("the bench"));
    command
        .env("INFRA_SCALE_MEASURE", "1")
        .arg(program)
        .args(args);
    if let Some(path) = floor_of {
        command.env("INFRA_SCALE_FLOOR", path);
    }
    let output = command.output().expect("run the bench as a wrapper");
    let report = String::from_utf8_lossy(&output.stdout);
    let figures: Vec<u128> = report
        .split_whitespace()
        .map(|n| n.parse().expect("a figure"))
        .collect();
    let [wall, cpu, peak, ok] = figures[..] else {
        panic!("the wrapper reported {report:?}");
    };
    Run {
        wall: Duration::from_nanos(wall as u64),
        cpu: Duration::from_nanos(cpu as u64),
        peak: peak as usize,
        ok: ok == 1,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The wrapper: runs `program ARGS`, its stderr passed through, and prints
/// its wall time, CPU time (user + system, ns), peak resident memory
/// (bytes) and whether it succeeded.
// The child is reaped by `wait4`, which gives its own usage; `Child::wait`
// would not.
#[allow(clippy::zombie_processes)]
fn measured(program: &std::ffi::OsStr, args: &[std::ffi::OsString]) {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .env_remove("INFRA_SCALE_MEASURE")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run the program");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // wait4: this child's own usage.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait for the program");
    let wall = start.elapsed();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    println!(
        "{} {} {} {}",
        wall.as_nanos(),
        (tv(usage.ru_utime) + tv(usage.ru_stime)).as_nanos(),
        usage.ru_maxrss as u128 * 1024,
        ok as u8
    );
}

/// The CPU time of this process so far (every thread).
fn cpu_now() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A time: wall clock, and CPU time (steadier on a shared machine).
#[derive(Clone, Copy, Default)]
struct Sample {
    wall: Duration,
    cpu: Duration,
}

impl Sample {
    fn since(start: Instant, cpu: Duration) -> Sample {
        Sample {
            wall: start.elapsed(),
            cpu: cpu_now() - cpu,
        }
    }
}

/// The median of each: wall times and CPU times.
fn medians(samples: Vec<Sample>) -> Sample {
    Sample {
        wall: median(samples.iter().map(|s| s.wall).collect()),
        cpu: median(samples.iter().map(|s| s.cpu).collect()),
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// serde_json's read and rewrite of template files (a nested stack's
/// parent and children), as one process (this bench, run with
/// `INFRA_SCALE_FLOOR`, the paths a line each), start to exit, as `infra`
/// is timed.
fn floor(paths: &[PathBuf]) -> Sample {
    let list = paths
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("\n");
    let r = through_wrapper(installed().floor.as_os_str(), &[], Some(Path::new(&list)));
    assert!(r.ok, "the floor failed: {}", r.stderr);
    r.sample()
}

/// Where programs and templates are written: `INFRA_SCALE_DIR`, else
/// memory (`/dev/shm`) where there is one, else the temporary directory.
/// On a disk the kernel makes whichever process crosses its limit of
/// unwritten pages wait for the disk, which decides a large run's time
/// more than the program timed does (a floor of 180 ms in one run, 620 ms
/// in the next).
fn scratch() -> PathBuf {
    if let Some(dir) = std::env::var_os("INFRA_SCALE_DIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    match shm.is_dir() {
        true => shm.to_path_buf(),
        false => std::env::temp_dir(),
    }
}

/// The floor itself: reads each template, parses it, prints it back
/// (pretty) and writes it beside it, as `infra build` writes its templates.
fn rewrite(paths: &str) {
    paths.lines().map(Path::new).for_each(rewrite_one);
}

fn rewrite_one(path: &Path) {
    let read = std::fs::read_to_string(path).expect("read template");
    let value: serde_json::Value = serde_json::from_str(&read).expect("valid JSON");
    let rewritten = serde_json::to_string_pretty(&value).expect("serializable");
    std::fs::write(path.with_extension("rewritten"), rewritten).expect("write");
}

/// The template of `path` for `target` through the library, as `infra
/// build` makes it (check, lower, emit, source map), even where the
/// command would refuse it; with the heap's peak during the build.
fn library_build(path: &Path, target: Target) -> (String, usize, Sample, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let (start, cpu) = (Instant::now(), cpu_now());
    let checked = infra::check(&[path.to_path_buf()], &Default::default()).expect("readable");
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "the generated program must be valid"
    );
    let program = &checked.programs[0].1;
    let (deployment, _) = infra::lower::lower(program, target);
    let emission = infra::backend::emission(&deployment);
    let text = emission.text;
    let names = infra::backend::names(&deployment);
    let map = infra::sourcemap::build(&checked.db, &deployment, &names, "main", &emission.sections);
    drop(deployment);
    let sample = Sample::since(start, cpu);
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop(checked);
    (text, map.len(), sample, peak)
}

fn targets(portable: bool) -> &'static [Target] {
    if portable {
        &[
            Target::CloudFormation,
            Target::Heat,
            Target::TerraformAws,
            Target::TerraformOpenstack,
        ]
    } else {
        &[Target::CloudFormation]
    }
}

/// The refusals a generated program may meet: the targets' quotas on one
/// template (CloudFormation's resources and bytes, Heat's bytes).
const QUOTAS: [&str; 3] = ["E0516", "E0536", "W0510"];

fn only_quotas(stderr: &str) -> bool {
    stderr
        .lines()
        .filter(|l| l.starts_with("error") || l.starts_with("warning"))
        .all(|l| QUOTAS.iter().any(|code| l.contains(&format!("[{code}]"))))
}

/// One build or check measured, for the summary against the bars.
struct Row {
    /// `native` or `portable`, and N; `None` for the realistic program.
    form: &'static str,
    n: Option<usize>,
    /// A target's name, or `check`.
    what: &'static str,
    time: Sample,
    /// Its time over the floor's: wall, CPU.
    ratio: (f64, f64),
    /// Peak over 3 x the templates' bytes + 16 MiB (builds only).
    memory: Option<f64>,
}

/// One program's figures: each target's build and `check`, each against
/// its floor.
fn measure(
    name: &str,
    (form, n): (&'static str, Option<usize>),
    path: &Path,
    portable: bool,
    runs: usize,
    dir: &Path,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let source = std::fs::metadata(path).expect("program").len();
    println!("\n{name} ({source} bytes of source; times: wall, and CPU in brackets)");
    let mut floors_total = Sample::default();
    let mut largest_floor = Sample::default();
    for &target in targets(portable) {
        let out = dir.join(format!("out-{}", target.name()));
        let _ = std::fs::remove_dir_all(&out);
        let args = build_args(path, target, &out);
        let first = run_owned(&args);
        let (templates, by_library, written) = if first.ok {
            let mut files = Vec::new();
            written_files(&out, &mut files);
            files.sort();
            let written = (files.iter())
                .map(|f| std::fs::metadata(f).expect("written").len() as usize)
                .sum();
            files.retain(|p| !p.to_string_lossy().ends_with(".map.json"));
            (files, false, written)
        } else {
            assert!(
                only_quotas(&first.stderr),
                "{name}: the build failed:\n{}",
                first.stderr
            );
            let (text, map, _, _) = library_build(path, target);
            let file = dir.join("refused.template.json");
            std::fs::write(&file, &text).expect("write template");
            (vec![file], true, text.len() + map)
        };
        let size: usize = (templates.iter())
            .map(|f| std::fs::metadata(f).expect("template").len() as usize)
            .sum();
        let mut times = Vec::new();
        let mut floors = Vec::new();
        let mut peak = 0;
        for _ in 0..runs {
            if by_library {
                let (_, _, time, heap) = library_build(path, target);
                times.push(time);
                peak = peak.max(heap);
            } else {
                let r = run_owned(&args);
                assert!(r.ok, "{name}: the build failed:\n{}", r.stderr);
                times.push(r.sample());
                peak = peak.max(r.peak);
            }
            floors.push(floor(&templates));
        }
        // One template is printed to standard output as well: its peak
        // is held to the same bar.
        let mut printed_peak = None;
        if !by_library && templates.len() == 1 {
            let args = print_args(path, target);
            for _ in 0..runs.min(3) {
                let r = run_owned(&args);
                assert!(r.ok, "{name}: the printed build failed:\n{}", r.stderr);
                printed_peak = printed_peak.max(Some(r.peak));
            }
        }
        let (time, floor) = (medians(times), medians(floors));
        floors_total.wall += floor.wall;
        floors_total.cpu += floor.cpu;
        if floor.cpu > largest_floor.cpu {
            largest_floor = floor;
        }
        let row = Row {
            form,
            n,
            what: target.name(),
            time,
            ratio: (ratio(time.wall, floor.wall), ratio(time.cpu, floor.cpu)),
            memory: Some(peak.max(printed_peak.unwrap_or(0)) as f64 / memory_bar(size)),
        };
        println!(
            "  build {:<20} {:>8.1} ms [{:>8.1}]  floor {:>7.1} ms [{:>7.1}]  ratio {:>5.2} [{:>5.2}]  peak {:>6.1} MiB{}  {:>3} template(s) {:>6.1} MiB, with maps {:>6.1} MiB  peak/(3 x templates + 16 MiB) {:.2}, /(3 x with maps + 16 MiB) {:.2}",
            target.name(),
            ms(time.wall),
            ms(time.cpu),
            ms(floor.wall),
            ms(floor.cpu),
            row.ratio.0,
            row.ratio.1,
            peak as f64 / MIB,
            if by_library { " lib" } else { "    " },
            templates.len(),
            size as f64 / MIB,
            written as f64 / MIB,
            row.memory.unwrap_or_default(),
            peak as f64 / memory_bar(written),
        );
        if let Some(printed) = printed_peak {
            println!(
                "  build {:<20} to standard output: peak {:>6.1} MiB  peak/(3 x template + 16 MiB) {:.2}",
                target.name(),
                printed as f64 / MIB,
                printed as f64 / memory_bar(size),
            );
        }
        rows.push(row);
    }
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let r = run(&["check".as_ref(), path.as_os_str()]);
        assert!(
            only_quotas(&r.stderr),
            "{name}: unexpected diagnostics:\n{}",
            r.stderr
        );
        times.push(r.sample());
        peak = peak.max(r.peak);
    }
    let time = medians(times);
    println!(
        "  check (every target)       {:>8.1} ms [{:>8.1}]  floor {:>7.1} ms [{:>7.1}]  ratio {:>5.2} [{:>5.2}]  (to the largest template's floor: {:.2} [{:.2}])  peak {:>6.1} MiB",
        ms(time.wall),
        ms(time.cpu),
        ms(floors_total.wall),
        ms(floors_total.cpu),
        ratio(time.wall, floors_total.wall),
        ratio(time.cpu, floors_total.cpu),
        ratio(time.wall, largest_floor.wall),
        ratio(time.cpu, largest_floor.cpu),
        peak as f64 / MIB,
    );
    rows.push(Row {
        form,
        n,
        what: "check",
        time,
        ratio: (
            ratio(time.wall, floors_total.wall),
            ratio(time.cpu, floors_total.cpu),
        ),
        memory: None,
    });
    rows
}

/// time(N=50,000) / time(N=5,000) of each build and `check`, the two sizes
/// run one after the other `runs` times, so that a machine whose speed
/// drifts in the minutes between the rows above (one size's rows are
/// measured long after the other's) moves both sizes alike: the ratio of
/// the medians, by wall time and CPU time, with the form and what was run.
/// A build the command refuses at either size (timed through the library
/// above) is left out.
fn growth_alternately(dir: &Path, runs: usize) -> Vec<((f64, f64), &'static str, &'static str)> {
    let mut found = Vec::new();
    for (form, portable) in [("native", false), ("portable", true)] {
        let whats = (targets(portable).iter().copied().map(Some)).chain([None]);
        for what in whats {
            let args = |n: usize| -> Vec<std::ffi::OsString> {
                let program = dir.join(format!("{form}_{n}.infra"));
                match what {
                    Some(target) => {
                        let out = dir.join(format!("growth-{form}-{n}-{}", target.name()));
                        build_args(&program, target, &out)
                    }
                    None => vec!["check".into(), program.into()],
                }
            };
            let (small, large) = (args(5_000), args(50_000));
            let mut times = (Vec::new(), Vec::new());
            let mut refused = false;
            for _ in 0..runs {
                for (args, into) in [(&small, &mut times.0), (&large, &mut times.1)] {
                    let r = run_owned(args);
                    refused |= what.is_some() && !r.ok;
                    into.push(r.sample());
                }
            }
            if refused {
                continue;
            }
            let (small, large) = (medians(times.0), medians(times.1));
            let growth = (ratio(large.wall, small.wall), ratio(large.cpu, small.cpu));
            found.push((growth, form, what.map_or("check", |t| t.name())));
        }
    }
    found
}

/// Each bar of the scale issue, met or not, over the rows measured: the
/// worst case of each, named.
fn summary(rows: &[Row], many: (f64, f64), alternate: &[((f64, f64), &str, &str)]) {
    let sized = || rows.iter().filter(|r| r.n.is_some());
    let label = |r: &Row| match r.n {
        Some(n) => format!("{} N={n} {}", r.form, r.what),
        None => format!("realistic {}", r.what),
    };
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    fn worst<'r>(rows: &[&'r Row], of: impl Fn(&Row) -> f64) -> Option<&'r Row> {
        rows.iter().copied().max_by(|a, b| of(a).total_cmp(&of(b)))
    }
    println!("\nThe bars (worst case of each; ratios by wall time, CPU time in brackets):");
    let builds: Vec<&Row> = sized().filter(|r| r.what != "check").collect();
    if let Some(w) = worst(&builds, |r| r.ratio.0) {
        let over = builds.iter().filter(|r| r.ratio.0 > 2.0).count();
        println!(
            "  build <= 2x the floor: {} (worst {:.2} [{:.2}], {}; {over} of {} over)",
            verdict(w.ratio.0 <= 2.0),
            w.ratio.0,
            w.ratio.1,
            label(w),
            builds.len(),
        );
    }
    let checks: Vec<&Row> = sized()
        .filter(|r| r.what == "check" && r.form == "portable")
        .collect();
    if let Some(w) = worst(&checks, |r| r.ratio.0) {
        println!(
            "  check of a portable program <= 3x the floor: {} (worst {:.2} [{:.2}], {})",
            verdict(w.ratio.0 <= 3.0),
            w.ratio.0,
            w.ratio.1,
            label(w),
        );
    }
    let mut growth = Vec::new();
    for large in sized().filter(|r| r.n == Some(50_000)) {
        let small =
            sized().find(|r| r.n == Some(5_000) && r.form == large.form && r.what == large.what);
        if let Some(small) = small {
            let of = |s: &Sample, l: &Sample| (ratio(l.wall, s.wall), ratio(l.cpu, s.cpu));
            growth.push((of(&small.time, &large.time), large));
        }
    }
    let table = (growth.iter())
        .max_by(|a, b| a.0.0.total_cmp(&b.0.0))
        .map(|(g, r)| (*g, r.form, r.what));
    let alternate = (alternate.iter())
        .max_by(|a, b| a.0.0.total_cmp(&b.0.0))
        .copied();
    // Judged on the sizes run alternately where they were.
    if let Some((g, form, what)) = alternate.or(table) {
        let beside = match (alternate, table) {
            (Some(_), Some((t, form, what))) => format!(
                "; the sizes run alternately; from the rows above, minutes apart: worst {:.1} [{:.1}], {form} {what}",
                t.0, t.1
            ),
            (Some(_), None) => "; the sizes run alternately".to_string(),
            (None, _) => String::new(),
        };
        println!(
            "  time(N=50,000) / time(N=5,000) <= 11: {} (worst {:.1} [{:.1}], {form} {what}{beside})",
            verdict(g.0 <= 11.0),
            g.0,
            g.1,
        );
    }
    let weighed: Vec<&Row> = rows.iter().filter(|r| r.memory.is_some()).collect();
    if let Some(w) = worst(&weighed, |r| r.memory.unwrap_or(0.0)) {
        let over = weighed.iter().filter(|r| r.memory > Some(1.0)).count();
        println!(
            "  peak <= 3x the templates + 16 MiB: {} (worst {:.2} of it, {}; {over} of {} over)",
            verdict(w.memory <= Some(1.0)),
            w.memory.unwrap_or(0.0),
            label(w),
            weighed.len(),
        );
    }
    let (parallel, peak) = many;
    println!(
        "  1,000 files: CPU time / wall time > 1.6 and peak < 100 MiB: {} ({parallel:.2}, {peak:.1} MiB)",
        verdict(parallel > 1.6 && peak < 100.0),
    );
}

fn main() {
    if std::env::var_os("INFRA_SCALE_MEASURE").is_some() {
        let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
        let program = args.first().expect("a program to measure");
        return measured(program, &args[1..]);
    }
    if let Some(paths) = std::env::var_os("INFRA_SCALE_FLOOR") {
        COUNTING.store(false, Ordering::Relaxed);
        // The page size `infra` runs with: with transparent huge pages the
        // floor would be timed on other terms, and waits now and then for
        // the kernel to make room for one.
        if std::env::var_os("INFRA_SCALE_FLOOR_HUGE_PAGES").is_none() {
            infra::without_huge_pages();
        }
        return rewrite(&paths.to_string_lossy());
    }
    let dir = scratch().join(format!("infra-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut sizes: Vec<usize> = vec![50, 500, 5_000];
    if std::env::var_os("INFRA_SCALE_LARGE").is_some() {
        sizes.push(50_000);
    }
    if let Ok(given) = std::env::var("INFRA_SCALE_SIZES") {
        sizes = given
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
    }
    let runs_given = std::env::var("INFRA_SCALE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok());
    // `INFRA_SCALE_WRITE=DIR` writes the programs there and stops (for
    // profiling the binary on them).
    if let Some(out) = std::env::var_os("INFRA_SCALE_WRITE") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("create dir");
        for &n in &sizes {
            for (form, portable) in [("native", false), ("portable", true)] {
                let path = out.join(format!("{form}_{n}.infra"));
                std::fs::write(path, stack(n, portable)).expect("write");
            }
        }
        std::fs::write(out.join("realistic.infra"), realistic(18)).expect("write");
        many(&out.join("many"), 1_000);
        return;
    }
    let mut rows = Vec::new();
    for &n in &sizes {
        let runs = runs_given.unwrap_or(match n {
            ..=500 => 15,
            501..50_000 => 5,
            _ => 3,
        });
        for (form, portable) in [("native", false), ("portable", true)] {
            let path = dir.join(format!("{form}_{n}.infra"));
            std::fs::write(&path, stack(n, portable)).expect("write program");
            let name = format!("{form}, N = {n}");
            rows.extend(measure(&name, (form, Some(n)), &path, portable, runs, &dir));
        }
    }
    let runs = runs_given.unwrap_or(5);
    let path = dir.join("realistic.infra");
    let text = realistic(18);
    std::fs::write(&path, &text).expect("write program");
    let lines = text.lines().count();
    rows.extend(measure(
        &format!("realistic, {lines} lines"),
        ("portable", None),
        &path,
        true,
        runs,
        &dir,
    ));

    let programs = dir.join("many");
    many(&programs, 1_000);
    let mut walls = Vec::new();
    let mut ratios = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let r = run(&["check".as_ref(), programs.as_os_str()]);
        assert!(r.ok, "check of the directory failed:\n{}", r.stderr);
        ratios.push(r.cpu.as_secs_f64() / r.wall.as_secs_f64());
        walls.push(r.wall);
        peak = peak.max(r.peak);
    }
    ratios.sort_by(f64::total_cmp);
    let parallel = ratios[ratios.len() / 2];
    println!(
        "\ninfra check of 1,000 programs in one directory: {:.1} ms, CPU time / wall time {parallel:.2}, peak {:.1} MiB",
        ms(median(walls)),
        peak as f64 / MIB,
    );
    let alternate = match sizes.contains(&5_000) && sizes.contains(&50_000) {
        true => growth_alternately(&dir, runs_given.unwrap_or(5)),
        false => Vec::new(),
    };
    summary(&rows, (parallel, peak as f64 / MIB), &alternate);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&installed().infra);
    let _ = std::fs::remove_file(&installed().floor);
}
