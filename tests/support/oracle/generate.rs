//! Random valid programs for the semantic oracle.
//!
//! [`program`] turns a seed into the text of one `.infra` program, formatted
//! as `infra fmt` prints it, that checks without errors and builds for every
//! target (nearly always: see below). The programs are small (about 2 to 12
//! top-level resources) and mix:
//!
//! - params: bools, literal unions (`"dev" | "prod"`), ints with `min` and
//!   `max` (and `message`), strings with a pattern; some without a default;
//! - lets: constants, expressions over params (`is_prod`, a prefix, a
//!   deploy-time choice of int), lists of strings and of objects, a
//!   comprehension, a network's CIDR read by `cidrsubnet`;
//! - portable resources every target supports: networks, subnets (CIDRs
//!   inside their network, never overlapping), routers (one per network),
//!   security groups (distinct rules, `source_group` in the same network),
//!   servers (user data, key pairs, security groups of their network),
//!   volumes and floating IPs (at most one per server copy), queues (with
//!   dead-letter queues), buckets (websites), DNS zones and records (names
//!   unique in a zone, no CNAME at the apex), generated passwords;
//! - `for` over ranges (from 0 or 1, literal or a let), lists of strings
//!   (a let or inline) and lists of objects, with one or two variables;
//!   `if` on single and repeated resources, reading the loop variables and/or
//!   params (compile-time and deploy-time conditions, and both);
//! - references: attribute reads, whole resources (`subnet = sub`), copies
//!   (`sub[i % 2]`, `sub[i]`), whole lists of copies (`subnets = sub`),
//!   `c ? a : b` between resources or with `null`, `depends_on` (only where
//!   no reference already orders, W0401); a conditional resource is read only
//!   where it exists: under the same guard, in the branch of `c ? a : b`
//!   taken when its guard holds, or, for a copy whose `if` reads the loop
//!   variable, by a resource with the same `for` and `if` or under that
//!   copy's own condition;
//! - deploy-time conditionals `c ? a : b` in properties;
//! - local components holding params (resources, lists of subnets, flags,
//!   counts, ints), lets, resources (looped and guarded) and outputs,
//!   instantiated once, conditionally or in loops;
//! - outputs: attributes, comprehensions over copies, `join`, conditional
//!   outputs (`c ? x : ""` and outputs that exist only under `c ? x :
//!   null`), interpolations, `export` and `sensitive`.
//!
//! Avoided on purpose, so that most programs build for every target:
//!
//! - deploy-time counts (`for i in 0..param`), refused by CloudFormation:
//!   rare ([`DEPLOY_TIME_COUNTS`]);
//! - arithmetic and ordering comparisons on deploy-time values: refused by
//!   CloudFormation (E0510) and Heat (E0530, E0531);
//! - `deletion = "snapshot"` is rare: Terraform's openstack provider cannot
//!   take one (E0507);
//! - outputs of generated passwords (E0518) and passwords in user data
//!   (E0321): passwords are not read;
//! - `deploy.Context` (Heat cannot read every value of it), `lb` and
//!   `database` (their deploy-time requirements are target-specific);
//! - `for k, v in map` and params typed by an alias (`compute.Size`), which
//!   were being fixed when this was written;
//! - names ending in a digit (`web2` and copy 2 of `web` are both `Web2` on
//!   CloudFormation, E0503): a second `web` is `web_b`;
//! - what the checker refuses though the reference allows it
//!   ([`AVOID_READING_FILTERED_COPIES`], [`AVOID_DEPLOY_TIME_RECORD_NAMES`]).
//!
//! The text is a pure function of the seed: no hash map iteration, no
//! clock. This file depends on nothing but `std`, so any test crate can
//! include it with `#[path]`.

use std::collections::BTreeSet;

/// A repeated resource whose `if` reads the loop variable is read only as
/// the checker accepts: by a resource with the same `for` and `if`
/// (`x[i]`), or one copy at a constant index under that copy's condition
/// (`1 > 0 ? x[1].url : null`). The checker reports E0208 for a plain read of
/// a copy whose condition is known at compile time to hold (`x[1].url` with
/// `for i in 0..3 if i > 0`), and for a comprehension over the copies
/// (`[for w in x: w.url]`), whose members are all known at compile time;
/// the language reference does not say these are errors. While this is
/// true, the generator writes neither.
const AVOID_READING_FILTERED_COPIES: bool = true;

/// Percent of the queues, key pairs and zones of the top level repeated a
/// number of times given by a param (`for i in 0..queue_count`).
/// CloudFormation refuses such counts (E0504): the oracle skips it for these
/// programs. Only types made of one native resource on Heat (which cannot
/// pair the copies of several, E0506) are repeated so; the copies are read
/// only by a comprehension without filter, in an output, and no value is
/// computed from the index but names (Heat's `%index%`).
const DEPLOY_TIME_COUNTS: u64 = 1;

/// `dns.Record`'s lowering tests `name == "@"`: with a name interpolating a
/// deploy-time value (`"${app}-www"`), that is a condition over `str_replace`,
/// which Heat refuses (E0534), and CloudFormation gets an `Fn::Equals` over
/// `Fn::Sub`, which its conditions do not allow either. The comparison could
/// fold to false (no such string is `@`). Until then, record names are known
/// at compile time: a component holding a record gets a constant label.
const AVOID_DEPLOY_TIME_RECORD_NAMES: bool = true;

/// The text of one valid program, a deterministic function of `seed`.
pub fn program(seed: u64) -> String {
    let mut generator = Gen {
        rng: Rng::new(seed),
        taken: BTreeSet::new(),
        components: Vec::new(),
    };
    generator.run(seed)
}

// ------------------------------------------------------------------ random

/// A xorshift generator, seeded through splitmix64 so that neighbouring
/// seeds diverge at once.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(z | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with the given probability, in percent.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A number from `lo` to `hi`, both included.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

// ------------------------------------------------------------- expressions

/// An expression, kept as a tree only where the formatter may break it.
#[derive(Clone)]
enum E {
    /// Printed as is: names, literals, operators over them.
    Atom(String),
    List(Vec<E>),
    Object(Vec<(String, E)>),
    /// `c ? a : b`.
    Cond(Box<E>, Box<E>, Box<E>),
    /// `[HEAD: BODY]`, HEAD being `for x in xs` (and a filter).
    Comp(String, Box<E>),
    /// `f(args)`.
    Call(&'static str, Vec<E>),
    /// A multi-line string: its lines, without indentation.
    Text(Vec<String>),
}

fn atom(text: impl Into<String>) -> E {
    E::Atom(text.into())
}

/// A one-line string literal; `text` may hold interpolations.
fn string(text: impl AsRef<str>) -> E {
    E::Atom(format!("\"{}\"", text.as_ref()))
}

fn cond(c: impl Into<String>, then: E, otherwise: E) -> E {
    E::Cond(Box::new(atom(c)), Box::new(then), Box::new(otherwise))
}

fn comp(head: impl Into<String>, body: E) -> E {
    E::Comp(head.into(), Box::new(body))
}

/// The formatter's column limit for inline lists and objects.
const WIDTH: usize = 80;

/// The expression on one line, or None when it cannot be (a multi-line
/// string).
fn flat(e: &E) -> Option<String> {
    Some(match e {
        E::Atom(text) => text.clone(),
        E::List(items) => {
            let items: Option<Vec<String>> = items.iter().map(flat).collect();
            format!("[{}]", items?.join(", "))
        }
        E::Object(entries) if entries.is_empty() => "{}".to_string(),
        E::Object(entries) => {
            let mut parts = Vec::new();
            for (key, value) in entries {
                parts.push(format!("{key} = {}", flat(value)?));
            }
            format!("{{ {} }}", parts.join(", "))
        }
        E::Cond(c, a, b) => format!("{} ? {} : {}", flat(c)?, flat(a)?, flat(b)?),
        E::Comp(head, body) => format!("[{head}: {}]", flat(body)?),
        E::Call(name, args) => {
            let args: Option<Vec<String>> = args.iter().map(flat).collect();
            format!("{name}({})", args?.join(", "))
        }
        E::Text(_) => return None,
    })
}

fn column(buf: &str) -> usize {
    buf.rsplit('\n').next().unwrap_or("").chars().count()
}

fn spaces(buf: &mut String, n: usize) {
    buf.extend(std::iter::repeat_n(' ', n));
}

/// Prints `e` where `buf` ends, on a line indented by `indent`: inline when
/// it fits, else breaking its lists and objects one element per line, as
/// `infra fmt` does.
fn render(buf: &mut String, e: &E, indent: usize) {
    if let Some(text) = flat(e)
        && (matches!(e, E::Atom(_)) || column(buf) + text.chars().count() <= WIDTH)
    {
        buf.push_str(&text);
        return;
    }
    match e {
        E::Atom(text) => buf.push_str(text),
        E::List(items) => {
            buf.push_str("[\n");
            for item in items {
                spaces(buf, indent + 2);
                render(buf, item, indent + 2);
                buf.push_str(",\n");
            }
            spaces(buf, indent);
            buf.push(']');
        }
        E::Object(entries) => {
            buf.push_str("{\n");
            for (key, value) in entries {
                spaces(buf, indent + 2);
                buf.push_str(key);
                buf.push_str(" = ");
                render(buf, value, indent + 2);
                buf.push('\n');
            }
            spaces(buf, indent);
            buf.push('}');
        }
        E::Cond(c, a, b) => {
            render(buf, c, indent);
            buf.push_str(" ? ");
            render(buf, a, indent);
            buf.push_str(" : ");
            render(buf, b, indent);
        }
        E::Comp(head, body) => {
            buf.push('[');
            buf.push_str(head);
            buf.push_str(": ");
            render(buf, body, indent);
            buf.push(']');
        }
        E::Call(name, args) => {
            buf.push_str(name);
            buf.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    buf.push_str(", ");
                }
                render(buf, arg, indent);
            }
            buf.push(')');
        }
        E::Text(lines) => {
            buf.push_str("\"\"\"\n");
            for line in lines {
                if !line.is_empty() {
                    spaces(buf, indent + 2);
                    buf.push_str(line);
                }
                buf.push('\n');
            }
            spaces(buf, indent);
            buf.push_str("\"\"\"");
        }
    }
}

// ------------------------------------------------------------------- model

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Network,
    Subnet,
    Router,
    SecurityGroup,
    Server,
    KeyPair,
    Volume,
    FloatingIp,
    Queue,
    Bucket,
    Zone,
    Record,
    Password,
    /// An instance of the program's component of this index.
    Instance(usize),
}

impl Kind {
    fn type_name(self, components: &[Component]) -> String {
        match self {
            Kind::Network => "network.Network".into(),
            Kind::Subnet => "network.Subnet".into(),
            Kind::Router => "network.Router".into(),
            Kind::SecurityGroup => "network.SecurityGroup".into(),
            Kind::Server => "compute.Server".into(),
            Kind::KeyPair => "compute.KeyPair".into(),
            Kind::Volume => "storage.Volume".into(),
            Kind::FloatingIp => "network.FloatingIp".into(),
            Kind::Queue => "queue.Queue".into(),
            Kind::Bucket => "storage.Bucket".into(),
            Kind::Zone => "dns.Zone".into(),
            Kind::Record => "dns.Record".into(),
            Kind::Password => "secret.RandomPassword".into(),
            Kind::Instance(c) => components[c].name.clone(),
        }
    }

    /// Names for a resource of the kind (made unique by a number).
    fn names(self) -> &'static [&'static str] {
        match self {
            Kind::Network => &["net", "vpc", "backbone", "lan"],
            Kind::Subnet => &["sub", "app_subnet", "data_subnet", "edge", "private_subnet"],
            Kind::Router => &["gateway", "router", "egress"],
            Kind::SecurityGroup => &["web_sg", "db_sg", "ssh", "firewall", "app_sg"],
            Kind::Server => &["web", "api", "worker", "bastion", "batch", "node"],
            Kind::KeyPair => &["deployer", "admin_key"],
            Kind::Volume => &["data", "scratch", "disk", "archive_disk"],
            Kind::FloatingIp => &["address", "public_address", "eip"],
            Kind::Queue => &["jobs", "events", "tasks", "orders", "mail_queue", "retries"],
            Kind::Bucket => &["assets", "logs", "backups", "media", "site"],
            Kind::Zone => &["zone", "public_zone", "internal_zone"],
            Kind::Record => &["www", "api_record", "mail_record", "spf", "alias"],
            Kind::Password => &["db_password", "admin_password", "token"],
            Kind::Instance(_) => &["pool", "pipeline", "tier", "shard", "cell"],
        }
    }

    /// The attributes of type `string` (never null) a reference may read.
    fn attributes(self, components: &[Component]) -> Vec<String> {
        let fixed: &[&str] = match self {
            Kind::Network => &["id", "cidr"],
            Kind::Subnet => &["id", "cidr", "network_id"],
            Kind::Router | Kind::SecurityGroup | Kind::Volume => &["id"],
            Kind::Server => &["private_ip", "id", "subnet_id"],
            Kind::KeyPair => &["name", "id"],
            Kind::FloatingIp => &["address", "id"],
            Kind::Queue => &["url", "id", "name"],
            Kind::Bucket => &["name", "domain_name"],
            Kind::Zone => &["name", "id"],
            Kind::Record => &["fqdn"],
            // CloudFormation cannot output a secret (E0518), and user data
            // may not hold one (E0321): generated passwords are not read.
            Kind::Password => &[],
            Kind::Instance(c) => {
                return components[c]
                    .outputs
                    .iter()
                    .filter(|o| o.ty == "string")
                    .map(|o| o.name.clone())
                    .collect();
            }
        };
        fixed.iter().map(|s| s.to_string()).collect()
    }

    /// Whether the kind is persistent (takes `deletion`).
    fn persistent(self) -> bool {
        matches!(
            self,
            Kind::Volume | Kind::Bucket | Kind::Zone | Kind::Password
        )
    }
}

/// When a resource exists.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Guard {
    Always,
    /// `if COND`, the same for every copy.
    When(String),
    /// An `if` that reads the loop variables: some copies only. The text
    /// is the header, `for ... in ... if ...`: resources with the same read
    /// each other's copy of their own index.
    PerCopy(String),
}

/// How a reference from one place reaches a resource.
enum Access {
    Direct,
    /// Only in the branch of `COND ? a : b` taken when COND holds.
    Under(String),
    Never,
}

/// The copies of a repeated resource.
#[derive(Clone)]
struct Copies {
    /// At least this many (the exact count at the top level).
    min: usize,
    /// The count as an expression, for `x[i % COUNT]`.
    count: String,
}

/// An element of a list of objects.
#[derive(Clone, Copy)]
struct Tier {
    name: &'static str,
    size: &'static str,
    port: u32,
    public: bool,
}

const TIERS: &[Tier] = &[
    Tier {
        name: "web",
        size: "small",
        port: 80,
        public: true,
    },
    Tier {
        name: "api",
        size: "medium",
        port: 8080,
        public: false,
    },
    Tier {
        name: "admin",
        size: "large",
        port: 9000,
        public: false,
    },
    Tier {
        name: "cache",
        size: "small",
        port: 6379,
        public: false,
    },
];

/// What a loop's element is.
#[derive(Clone)]
enum Elem {
    None,
    Str(String, Vec<&'static str>),
    Obj(String, Vec<Tier>),
}

/// A resource's `for`.
#[derive(Clone)]
struct Loop {
    binding: String,
    iterable: E,
    copies: Copies,
    /// The index variable, if any, and its first value.
    index: Option<(String, usize)>,
    elem: Elem,
    /// A count known only at deploy time.
    deploy: bool,
}

impl Loop {
    /// An expression different for each copy, to make names unique.
    fn unique(&self) -> String {
        match (&self.index, &self.elem) {
            (_, Elem::Str(var, _)) => format!("${{{var}}}"),
            (_, Elem::Obj(var, _)) => format!("${{{var}.name}}"),
            (Some((var, _)), Elem::None) => format!("${{{var}}}"),
            (None, Elem::None) => unreachable!("a loop without variables"),
        }
    }
}

/// A resource of a scope, or a component param standing for one.
#[derive(Clone)]
struct Res {
    name: String,
    kind: Kind,
    copies: Option<Copies>,
    guard: Guard,
    /// A component's param holding a resource.
    param: bool,
    /// The network a network, subnet, security group or server is in.
    net: Option<usize>,
    /// A network's second octet, and the next free third octet.
    octet: u8,
    next_subnet: usize,
    /// A network's CIDR as a let, for `cidrsubnet`.
    cidr_let: Option<String>,
    /// A network that has its router.
    routed: bool,
    /// A FIFO queue (never a dead-letter queue, never has one).
    fifo: bool,
    /// A server with `public_ip` set.
    public_ip: bool,
    /// Repeated a number of times known only at deploy time.
    deploy_count: bool,
    /// Its `for` (to be repeated by a resource with the same `for` and
    /// `if`), and whether that is possible: an index from 0.
    lp: Option<Loop>,
    mirrorable: bool,
    /// Per copy, its `if` with the loop variables replaced by that copy's
    /// values: the condition to read it under.
    copy_conds: Vec<String>,
    /// Per copy of a server: a volume or a floating IP is attached.
    attached: Vec<bool>,
    /// A zone's record names in use.
    record_names: BTreeSet<String>,
    /// The resources of the scope it depends on, directly or not.
    deps: BTreeSet<String>,
}

impl Res {
    fn new(name: String, kind: Kind) -> Res {
        Res {
            name,
            kind,
            copies: None,
            guard: Guard::Always,
            param: false,
            net: None,
            octet: 0,
            next_subnet: 0,
            cidr_let: None,
            routed: false,
            fifo: false,
            public_ip: false,
            deploy_count: false,
            lp: None,
            mirrorable: false,
            copy_conds: Vec::new(),
            attached: Vec::new(),
            record_names: BTreeSet::new(),
            deps: BTreeSet::new(),
        }
    }
}

/// How a reference made under `from` reaches `to`.
fn access(from: &Guard, to: &Res) -> Access {
    if to.deploy_count {
        // Read only by a comprehension in an output (see `add_output`).
        return Access::Never;
    }
    match &to.guard {
        Guard::Always => Access::Direct,
        Guard::PerCopy(_) if *from == to.guard && to.mirrorable => Access::Direct,
        Guard::PerCopy(_) if AVOID_READING_FILTERED_COPIES => Access::Never,
        Guard::PerCopy(_) => Access::Direct,
        Guard::When(_) if *from == to.guard => Access::Direct,
        Guard::When(g) => Access::Under(g.clone()),
    }
}

/// Families of int values, each with its own range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fam {
    Retention,
    Timeout,
    Receives,
    Disk,
    RootDisk,
    Ttl,
    Port,
    PasswordLength,
}

impl Fam {
    /// The param's name, its range, and typical values.
    fn spec(self) -> (&'static str, usize, usize, &'static [usize]) {
        match self {
            Fam::Retention => ("retention", 60, 1_209_600, &[3600, 86400, 345_600]),
            Fam::Timeout => ("visibility", 0, 43200, &[30, 60, 300]),
            Fam::Receives => ("max_receives", 1, 1000, &[3, 5, 10]),
            Fam::Disk => ("disk_gb", 1, 16384, &[10, 20, 100]),
            Fam::RootDisk => ("root_gb", 8, 16384, &[20, 40, 80]),
            Fam::Ttl => ("ttl", 0, 86400, &[60, 300, 3600]),
            Fam::Port => ("app_port", 1024, 65535, &[8080, 8443, 9000]),
            Fam::PasswordLength => ("password_length", 8, 128, &[16, 24, 32]),
        }
    }
}

/// What a component's param is for, so that an instance can pass a value.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Plain,
    Label,
    Image,
    Flag,
    Count(usize, usize),
    Int(Fam),
    Res(Kind),
    /// A list of subnets, all in one network.
    Subnets,
}

struct Param {
    doc: Option<String>,
    name: String,
    ty: String,
    default: Option<E>,
    options: Vec<(String, E)>,
    role: Role,
}

struct Let {
    name: String,
    value: E,
}

struct ResDecl {
    doc: Option<String>,
    name: String,
    ty: String,
    lp: Option<Loop>,
    guard: Option<String>,
    props: Vec<(String, E)>,
}

struct OutDecl {
    doc: Option<String>,
    name: String,
    /// The type, written inside components.
    ty: Option<String>,
    value: E,
    options: Vec<(String, E)>,
}

struct Component {
    doc: Option<String>,
    name: String,
    state: Option<&'static str>,
    params: Vec<Param>,
    lets: Vec<Let>,
    resources: Vec<ResDecl>,
    outputs: Vec<CompOutput>,
    decls: Vec<OutDecl>,
}

struct CompOutput {
    name: String,
    ty: String,
}

/// The declarations of the program or of a component being generated.
struct Scope {
    component: bool,
    params: Vec<Param>,
    lets: Vec<Let>,
    res: Vec<Res>,
    decls: Vec<ResDecl>,
    outputs: Vec<OutDecl>,
    output_names: BTreeSet<String>,
    /// The attributes outputs read: (resource, attribute).
    read: BTreeSet<(String, String)>,
    /// The env param and its values; `is_prod`-like lets.
    env: Option<(String, Vec<&'static str>)>,
    env_lets: Vec<(String, String)>,
    /// Bool params (deploy-time), bool lets (compile-time).
    flags: Vec<String>,
    consts: Vec<String>,
    /// The text names start with (`${prefix}-`), if chosen.
    prefix: Option<Option<String>>,
    image: Option<String>,
    ints: Vec<(Fam, String)>,
    str_lists: Vec<(String, Vec<&'static str>)>,
    obj_lists: Vec<(String, Vec<Tier>)>,
    count_lets: Vec<(String, usize)>,
    /// Component scopes: the count param used by loops.
    count_param: Option<(String, usize)>,
    next_octet: usize,
    next_net: usize,
}

impl Scope {
    fn new(component: bool, first_octet: usize, first_net: usize) -> Scope {
        Scope {
            component,
            params: Vec::new(),
            lets: Vec::new(),
            res: Vec::new(),
            decls: Vec::new(),
            outputs: Vec::new(),
            output_names: BTreeSet::new(),
            read: BTreeSet::new(),
            env: None,
            env_lets: Vec::new(),
            flags: Vec::new(),
            consts: Vec::new(),
            prefix: None,
            image: None,
            ints: Vec::new(),
            str_lists: Vec::new(),
            obj_lists: Vec::new(),
            count_lets: Vec::new(),
            count_param: None,
            next_octet: first_octet,
            next_net: first_net,
        }
    }
}

/// The context a property value is generated in.
struct Ctx {
    guard: Guard,
    lp: Option<Loop>,
}

impl Ctx {
    /// The guard references are made under.
    fn from(&self) -> Guard {
        self.guard.clone()
    }
}

struct Gen {
    rng: Rng,
    /// Every name declared, in any scope, and the loop variables.
    taken: BTreeSet<String>,
    components: Vec<Component>,
}

const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "if",
    "for",
    "in",
    "import",
    "param",
    "let",
    "resource",
    "output",
    "component",
    "native",
    "network",
    "compute",
    "storage",
    "lb",
    "dns",
    "database",
    "queue",
    "secret",
    "deploy",
    // Loop variables.
    "i",
    "j",
    "n",
    "s",
    "t",
    "x",
    "r",
];

const DOCS: &[&str] = &[
    "Managed by the platform team.",
    "Kept small on purpose.",
    "See the runbook before changing it.",
    "Shared by every environment.",
    "Created for the nightly jobs.",
    "Part of the public surface.",
];

impl Gen {
    /// `base`, or `base_b`, `base_c`... (`BaseB` for a component): a
    /// letter, not a number, as CloudFormation numbers loop copies (`web2`
    /// and the copy 2 of `web` would both be `Web2`, E0503).
    fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 0;
        while self.taken.contains(&name) || RESERVED.contains(&name.as_str()) {
            n += 1;
            let letter = (b'a' + (n % 26) as u8) as char;
            let suffix = letter.to_string().repeat(n / 26 + 1);
            name = if base.starts_with(|c: char| c.is_ascii_uppercase()) {
                format!("{base}{}", suffix.to_ascii_uppercase())
            } else {
                format!("{base}_{suffix}")
            };
        }
        self.taken.insert(name.clone());
        name
    }

    fn doc(&mut self, percent: u64) -> Option<String> {
        self.rng
            .chance(percent)
            .then(|| self.rng.pick(DOCS).to_string())
    }

    fn run(&mut self, seed: u64) -> String {
        let mut top = Scope::new(false, self.rng.below(200), 0);
        // What a resource needs is added too: about 2 to 12 in all.
        let budget = self.rng.between(2, 10);
        while top.decls.len() < budget {
            let kind = self.pick_kind(&top);
            // The first exists whatever the params: a CloudFormation template
            // needs a resource (E0519).
            let guard = top.decls.is_empty().then_some(Guard::Always);
            self.add(&mut top, kind, guard);
        }
        let outputs = self.rng.between(1, 4);
        for _ in 0..outputs {
            self.add_output(&mut top);
        }
        let resources = top.decls.len();
        let doc = self.rng.chance(40).then(|| {
            format!("A generated program (seed {seed}): {resources} resources, {outputs} outputs.")
        });
        self.render_program(&top, doc)
    }

    fn pick_kind(&mut self, sc: &Scope) -> Kind {
        let mut table: Vec<(Kind, usize)> = vec![
            (Kind::Queue, 14),
            (Kind::Bucket, 10),
            (Kind::Server, 14),
            (Kind::Volume, 7),
            (Kind::Record, 7),
            (Kind::Password, 3),
        ];
        if sc.component {
            table.push((Kind::SecurityGroup, 4));
        } else {
            table.extend([
                (Kind::Subnet, 7),
                (Kind::SecurityGroup, 7),
                (Kind::Network, 3),
                (Kind::Router, 4),
                (Kind::Zone, 4),
                (Kind::FloatingIp, 4),
                (Kind::KeyPair, 2),
                (Kind::Instance(usize::MAX), 12),
            ]);
        }
        let total: usize = table.iter().map(|(_, w)| w).sum();
        let mut at = self.rng.below(total);
        for (kind, weight) in table {
            if at < weight {
                return kind;
            }
            at -= weight;
        }
        Kind::Queue
    }

    // -------------------------------------------------- params and lets

    fn add_param(
        &mut self,
        sc: &mut Scope,
        base: &str,
        ty: &str,
        default: Option<E>,
        options: Vec<(String, E)>,
        role: Role,
    ) -> String {
        let name = self.fresh(base);
        let doc = self.doc(30);
        sc.params.push(Param {
            doc,
            name: name.clone(),
            ty: ty.to_string(),
            default,
            options,
            role,
        });
        name
    }

    fn add_let(&mut self, sc: &mut Scope, base: &str, value: E) -> String {
        let name = self.fresh(base);
        sc.lets.push(Let {
            name: name.clone(),
            value,
        });
        name
    }

    /// The env param of the top level.
    fn env(&mut self, sc: &mut Scope) -> (String, Vec<&'static str>) {
        if let Some(env) = &sc.env {
            return env.clone();
        }
        let values: Vec<&'static str> = match self.rng.below(3) {
            0 => vec!["dev", "prod"],
            1 => vec!["dev", "staging", "prod"],
            _ => vec!["test", "live"],
        };
        let ty = values
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(" | ");
        let default = self.rng.chance(85).then(|| string(values[0]));
        let base = self.rng.pick(&["env", "stage", "environment"]);
        let name = self.add_param(sc, base, &ty, default, Vec::new(), Role::Plain);
        sc.env = Some((name, values));
        sc.env.clone().unwrap()
    }

    /// A deploy-time bool: a bool param, a comparison of the env param, a
    /// let naming one.
    fn deploy_bool(&mut self, sc: &mut Scope) -> String {
        if sc.component {
            if !sc.flags.is_empty() && self.rng.chance(60) {
                return self.rng.pick_str(&sc.flags);
            }
            let base = self
                .rng
                .pick(&["with_queue", "enabled", "public", "backups"]);
            let default = if self.rng.chance(50) { "false" } else { "true" };
            let name = self.add_param(
                sc,
                base,
                "bool",
                Some(atom(default)),
                Vec::new(),
                Role::Flag,
            );
            sc.flags.push(name.clone());
            return name;
        }
        match self.rng.below(5) {
            0 | 1 => {
                if !sc.flags.is_empty() && self.rng.chance(50) {
                    return self.rng.pick_str(&sc.flags);
                }
                let base = self
                    .rng
                    .pick(&["enabled", "with_backups", "public_access", "ha"]);
                let default = match self.rng.below(5) {
                    0 => None,
                    1 | 2 => Some(atom("true")),
                    _ => Some(atom("false")),
                };
                let name = self.add_param(sc, base, "bool", default, Vec::new(), Role::Plain);
                sc.flags.push(name.clone());
                name
            }
            2 | 3 => {
                // `is_prod = env == "prod"`, one let per value.
                let (env, values) = self.env(sc);
                let value = values[self.rng.between(1, values.len() - 1)];
                let text = format!("{env} == \"{value}\"");
                if let Some((name, _)) = sc.env_lets.iter().find(|(_, t)| *t == text) {
                    return name.clone();
                }
                let name = self.add_let(sc, &format!("is_{value}"), atom(text.clone()));
                sc.env_lets.push((name.clone(), text));
                name
            }
            _ => {
                let (env, values) = self.env(sc);
                let value = self.rng.pick(&values);
                let op = self.rng.pick(&["==", "!="]);
                format!("{env} {op} \"{value}\"")
            }
        }
    }

    /// A compile-time bool: a const let.
    fn const_bool(&mut self, sc: &mut Scope) -> String {
        if sc.component {
            // A count param compared with a constant is known per instance.
            if let Some((count, min)) = sc.count_param.clone()
                && self.rng.chance(50)
            {
                return format!("{count} > {min}");
            }
            return self.deploy_bool(sc);
        }
        if !sc.consts.is_empty() && self.rng.chance(40) {
            return self.rng.pick_str(&sc.consts);
        }
        if !sc.count_lets.is_empty() && self.rng.chance(30) {
            let (name, value) = sc.count_lets[self.rng.below(sc.count_lets.len())].clone();
            let op = self.rng.pick(&[">", "<=", "=="]);
            let bound = self.rng.between(1, value + 1);
            return format!("{name} {op} {bound}");
        }
        let base = self
            .rng
            .pick(&["with_cache", "with_archive", "use_dns", "extra"]);
        let value = if self.rng.chance(50) { "true" } else { "false" };
        let name = self.add_let(sc, base, atom(value));
        sc.consts.push(name.clone());
        name
    }

    /// A condition for an `if` or a `c ? a : b`: compile-time or deploy-time,
    /// sometimes a combination.
    fn condition(&mut self, sc: &mut Scope) -> String {
        let one = |g: &mut Gen, sc: &mut Scope| {
            if g.rng.chance(35) {
                g.const_bool(sc)
            } else {
                g.deploy_bool(sc)
            }
        };
        let first = one(self, sc);
        match self.rng.below(10) {
            0 | 1 => {
                let second = one(self, sc);
                // (Both are used: making one may have declared a param.)
                if second == first {
                    return first;
                }
                let op = self.rng.pick(&["&&", "||"]);
                format!("{} {op} {}", wrap(&first), wrap(&second))
            }
            2 if is_name(&first) => format!("!{first}"),
            _ => first,
        }
    }

    /// The text names start with: nothing, a string param, or a let over
    /// params.
    fn prefix(&mut self, sc: &mut Scope) -> Option<String> {
        if let Some(p) = &sc.prefix {
            return p.clone();
        }
        let p = if sc.component {
            let name = self.add_param(
                sc,
                "label",
                "string",
                None,
                vec![
                    ("pattern".into(), string("^[a-z][a-z0-9-]*$")),
                    ("max_length".into(), atom("24")),
                ],
                Role::Label,
            );
            Some(format!("${{{name}}}-"))
        } else {
            match self.rng.below(4) {
                0 => None,
                1 | 2 => {
                    let base = self.rng.pick(&["prefix", "app", "project"]);
                    let default = if self.rng.chance(80) {
                        Some(string(self.rng.pick(&["shop", "acme", "demo"])))
                    } else {
                        None
                    };
                    let mut options = vec![("pattern".into(), string("^[a-z][a-z0-9-]*$"))];
                    if self.rng.chance(50) {
                        options.push(("max_length".into(), atom("24")));
                    }
                    if self.rng.chance(30) {
                        options.push((
                            "message".into(),
                            string("lower-case letters, digits and hyphens"),
                        ));
                    }
                    let name = self.add_param(sc, base, "string", default, options, Role::Plain);
                    Some(format!("${{{name}}}-"))
                }
                _ => {
                    let app = self.rng.pick(&["shop", "acme", "demo"]);
                    let (env, _) = self.env(sc);
                    let name = self.add_let(sc, "prefix", string(format!("{app}-${{{env}}}")));
                    Some(format!("${{{name}}}-"))
                }
            }
        };
        sc.prefix = Some(p.clone());
        p
    }

    /// The machine image: a param without default, a let, or a literal.
    fn image(&mut self, sc: &mut Scope) -> E {
        if let Some(image) = &sc.image {
            return atom(image.clone());
        }
        if sc.component {
            let name = self.add_param(sc, "image", "string", None, Vec::new(), Role::Image);
            sc.image = Some(name.clone());
            return atom(name);
        }
        match self.rng.below(4) {
            0 => string("ami-0123456789abcdef0"),
            1 => {
                let name = self.add_let(sc, "image", string("ami-0fedcba9876543210"));
                sc.image = Some(name.clone());
                atom(name)
            }
            _ => {
                let options = vec![("min_length".into(), atom("1"))];
                let name = self.add_param(sc, "image", "string", None, options, Role::Plain);
                sc.image = Some(name.clone());
                atom(name)
            }
        }
    }

    /// An int of the family: a literal, a param, a deploy-time choice, or
    /// (in a loop) a constant computed from the index.
    fn int_value(&mut self, sc: &mut Scope, ctx: &Ctx, fam: Fam) -> E {
        let (base, min, max, typical) = fam.spec();
        match self.rng.below(6) {
            0 | 1 => atom(self.rng.pick(typical).to_string()),
            2 | 3 => {
                if let Some((_, name)) = sc.ints.iter().find(|(f, _)| *f == fam) {
                    return atom(name.clone());
                }
                let low = self.rng.pick(&[min, typical[0]]);
                let high = self.rng.pick(&[max, typical[2]]);
                let default = if self.rng.chance(85) || sc.component {
                    Some(atom(typical[1].to_string()))
                } else {
                    None
                };
                let mut options = vec![
                    ("min".into(), atom(low.to_string())),
                    ("max".into(), atom(high.to_string())),
                ];
                if self.rng.chance(25) {
                    options.push(("message".into(), string(format!("from {low} to {high}"))));
                }
                let role = Role::Int(fam);
                let name = self.add_param(sc, base, "int", default, options, role);
                sc.ints.push((fam, name.clone()));
                atom(name)
            }
            4 => {
                let c = self.deploy_or_const(sc);
                let k = self.rng.below(typical.len());
                let a = typical[k];
                let b = typical[(k + 1 + self.rng.below(typical.len() - 1)) % typical.len()];
                let value = cond(c, atom(a.to_string()), atom(b.to_string()));
                if self.rng.chance(30) {
                    // A let over params, inlined where it is used.
                    atom(self.add_let(sc, base, value))
                } else {
                    value
                }
            }
            _ => match &ctx.lp {
                Some(Loop {
                    index: Some((var, _)),
                    deploy: false,
                    ..
                }) => atom(format!("{} + {var}", typical[0])),
                Some(Loop {
                    elem: Elem::Obj(var, _),
                    ..
                }) if fam == Fam::Port => atom(format!("{var}.port")),
                _ => atom(typical[2].to_string()),
            },
        }
    }

    fn deploy_or_const(&mut self, sc: &mut Scope) -> String {
        if self.rng.chance(75) {
            self.deploy_bool(sc)
        } else {
            self.const_bool(sc)
        }
    }

    /// A bool property: a literal, a condition, its negation.
    fn bool_value(&mut self, sc: &mut Scope, ctx: &Ctx) -> E {
        match self.rng.below(6) {
            0 => atom("true"),
            1 => atom("false"),
            2 => {
                if let Some(Loop {
                    index: Some((var, start)),
                    deploy: false,
                    ..
                }) = &ctx.lp
                {
                    return atom(format!("{var} == {start}"));
                }
                if let Some(Loop {
                    elem: Elem::Obj(var, _),
                    ..
                }) = &ctx.lp
                {
                    return atom(format!("{var}.public"));
                }
                atom(self.condition(sc))
            }
            _ => atom(self.condition(sc)),
        }
    }

    /// A name for the cloud: the prefix, a word, and the copy.
    fn cloud_name(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> E {
        let prefix = self.prefix(sc).unwrap_or_default();
        let unique = match &ctx.lp {
            Some(lp) => format!("-{}", lp.unique()),
            None => String::new(),
        };
        string(format!("{prefix}{word}{unique}"))
    }

    // ----------------------------------------------------------- loops

    fn string_list(&mut self, sc: &mut Scope) -> (String, Vec<&'static str>) {
        if !sc.str_lists.is_empty() && self.rng.chance(50) {
            return sc.str_lists[self.rng.below(sc.str_lists.len())].clone();
        }
        let (base, values): (&str, Vec<&'static str>) = match self.rng.below(4) {
            0 => ("names", vec!["alpha", "beta", "gamma", "delta"]),
            1 => ("colors", vec!["blue", "green", "red"]),
            2 => ("stages", vec!["ingest", "resize", "encode"]),
            _ => ("shards", vec!["s0", "s1", "s2", "s3"]),
        };
        let len = self.rng.between(2, values.len());
        let values: Vec<&'static str> = values[..len].to_vec();
        let value = if self.rng.chance(25) && base == "shards" {
            comp(format!("for i in 0..{len}"), string("s${i}"))
        } else {
            E::List(values.iter().map(string).collect())
        };
        let name = self.add_let(sc, base, value);
        sc.str_lists.push((name.clone(), values.clone()));
        (name, values)
    }

    fn tier_list(&mut self, sc: &mut Scope) -> (String, Vec<Tier>) {
        if !sc.obj_lists.is_empty() && self.rng.chance(60) {
            return sc.obj_lists[self.rng.below(sc.obj_lists.len())].clone();
        }
        let len = self.rng.between(2, TIERS.len());
        let start = self.rng.below(TIERS.len() - len + 1);
        let tiers: Vec<Tier> = TIERS[start..start + len].to_vec();
        let value = E::List(
            tiers
                .iter()
                .map(|t| {
                    E::Object(vec![
                        ("name".into(), string(t.name)),
                        ("size".into(), string(t.size)),
                        ("port".into(), atom(t.port.to_string())),
                        ("public".into(), atom(t.public.to_string())),
                    ])
                })
                .collect(),
        );
        let base = self.rng.pick(&["tiers", "services", "apps"]);
        let name = self.add_let(sc, base, value);
        sc.obj_lists.push((name.clone(), tiers.clone()));
        (name, tiers)
    }

    /// A compile-time loop; with `need_index`, one with an index variable.
    fn make_loop(&mut self, sc: &mut Scope, need_index: bool) -> Loop {
        let two = need_index || self.rng.chance(50);
        match self.rng.below(if sc.component { 6 } else { 5 }) {
            0 | 1 => {
                let n = self.rng.between(1, 4);
                let from_one = self.rng.chance(20);
                let (iter, start) = if from_one {
                    (format!("1..{}", n + 1), 1)
                } else {
                    (format!("0..{n}"), 0)
                };
                Loop {
                    binding: "i".into(),
                    iterable: atom(iter),
                    copies: Copies {
                        min: n,
                        count: n.to_string(),
                    },
                    index: Some(("i".into(), start)),
                    elem: Elem::None,
                    deploy: false,
                }
            }
            2 if !sc.component => {
                let (name, n) = match sc.count_lets.first() {
                    Some(c) if self.rng.chance(50) => c.clone(),
                    _ => {
                        let n = self.rng.between(2, 3);
                        let base = self.rng.pick(&["replicas", "web_count", "copies"]);
                        let name = self.add_let(sc, base, atom(n.to_string()));
                        sc.count_lets.push((name.clone(), n));
                        (name, n)
                    }
                };
                Loop {
                    binding: "i".into(),
                    iterable: atom(format!("0..{name}")),
                    copies: Copies {
                        min: n,
                        count: name,
                    },
                    index: Some(("i".into(), 0)),
                    elem: Elem::None,
                    deploy: false,
                }
            }
            3 => {
                let inline = self.rng.chance(25);
                let (iterable, values) = if inline {
                    let values: Vec<&'static str> = self
                        .rng
                        .pick(&[&["blue", "green"][..], &["east", "west", "north"][..]])
                        .to_vec();
                    (E::List(values.iter().map(string).collect()), values)
                } else {
                    let (name, values) = self.string_list(sc);
                    (atom(name), values)
                };
                let n = values.len();
                Loop {
                    binding: if two { "i, n".into() } else { "n".into() },
                    iterable,
                    copies: Copies {
                        min: n,
                        count: n.to_string(),
                    },
                    index: two.then(|| ("i".into(), 0)),
                    elem: Elem::Str("n".into(), values),
                    deploy: false,
                }
            }
            4 => {
                let (name, tiers) = self.tier_list(sc);
                let n = tiers.len();
                Loop {
                    binding: if two { "i, t".into() } else { "t".into() },
                    iterable: atom(name),
                    copies: Copies {
                        min: n,
                        count: n.to_string(),
                    },
                    index: two.then(|| ("i".into(), 0)),
                    elem: Elem::Obj("t".into(), tiers),
                    deploy: false,
                }
            }
            _ => {
                // A component's count param: known per instance.
                let (name, min) = match sc.count_param.clone() {
                    Some(c) => c,
                    None => {
                        let min = 1;
                        let max = self.rng.between(2, 4);
                        let default = self.rng.between(min, max);
                        let options = vec![
                            ("min".into(), atom(min.to_string())),
                            ("max".into(), atom(max.to_string())),
                        ];
                        let name = self.add_param(
                            sc,
                            "count",
                            "int",
                            Some(atom(default.to_string())),
                            options,
                            Role::Count(min, max),
                        );
                        sc.count_param = Some((name.clone(), min));
                        (name, min)
                    }
                };
                Loop {
                    binding: "i".into(),
                    iterable: atom(format!("0..{name}")),
                    copies: Copies { min, count: name },
                    index: Some(("i".into(), 0)),
                    elem: Elem::None,
                    deploy: false,
                }
            }
        }
    }

    /// An `if` that reads the loop variables (and sometimes a param).
    fn per_copy_guard(&mut self, sc: &mut Scope, lp: &Loop) -> (String, Vec<String>) {
        // Written with the loop variables as INDEX and ELEM, replaced by
        // their names for the `if`, by each copy's values for its condition.
        let (index, elem) = ("\u{1}", "\u{2}");
        let lp_vars = lp.clone();
        let mut lp = lp.clone();
        if let Some((var, _)) = &mut lp.index {
            *var = index.into();
        }
        match &mut lp.elem {
            Elem::Str(var, _) | Elem::Obj(var, _) => *var = elem.into(),
            Elem::None => {}
        }
        let lp = &lp;
        let own = match (&lp.elem, &lp.index) {
            (Elem::Str(var, values), _) if self.rng.chance(60) => {
                let v = self.rng.pick(values);
                if self.rng.chance(70) {
                    format!("{var} != \"{v}\"")
                } else {
                    let w = self.rng.pick(values);
                    format!("{var} == \"{v}\" || {var} == \"{w}\"")
                }
            }
            (Elem::Obj(var, tiers), _) if self.rng.chance(70) => match self.rng.below(4) {
                0 => format!("{var}.public"),
                1 => format!("{var}.port > 1000"),
                2 => format!("{var}.name != \"{}\"", self.rng.pick(tiers).name),
                _ => format!("{var}.size == \"small\""),
            },
            (_, Some((var, start))) => match self.rng.below(4) {
                0 => format!("{var} % 2 == 0"),
                1 => format!("{var} > {start}"),
                2 => format!("{var} != {}", start + 1),
                _ => format!("{var} < {}", start + lp.copies.min.saturating_sub(1).max(1)),
            },
            (Elem::Str(var, values), None) => format!("{var} != \"{}\"", values[0]),
            (Elem::Obj(var, _), None) => format!("{var}.public"),
            (Elem::None, None) => unreachable!("a loop without variables"),
        };
        let template = if self.rng.chance(30) {
            let other = self.deploy_bool(sc);
            format!("{} && {}", wrap(&own), wrap(&other))
        } else {
            own
        };
        let fill = |i: &str, e: &str| template.replace(index, i).replace(elem, e);
        let index_var = lp_vars
            .index
            .as_ref()
            .map_or(String::new(), |(v, _)| v.clone());
        let (elem_var, elems): (String, Vec<String>) = match &lp_vars.elem {
            // The list indexed, not the literal: the checker refuses to
            // compare two different literals (E0203, "alpha" == "beta").
            Elem::Str(var, values) => {
                let list = flat(&lp_vars.iterable).unwrap_or_default();
                (
                    var.clone(),
                    (0..values.len()).map(|k| format!("{list}[{k}]")).collect(),
                )
            }
            Elem::Obj(var, tiers) => {
                let list = flat(&lp_vars.iterable).unwrap_or_default();
                (
                    var.clone(),
                    (0..tiers.len()).map(|k| format!("{list}[{k}]")).collect(),
                )
            }
            Elem::None => (String::new(), Vec::new()),
        };
        let start = lp_vars.index.as_ref().map_or(0, |(_, s)| *s);
        // Over an inline list, the checker does not recognise a copy's
        // condition (`["a", "b"][1] != "a"`, E0208): no copy is read alone.
        let inline = matches!(lp_vars.iterable, E::List(_)) && !elems.is_empty();
        let copies = if inline { 0 } else { lp_vars.copies.min };
        let conds = (0..copies)
            .map(|k| {
                let e = elems.get(k).cloned().unwrap_or_default();
                fill(&(start + k).to_string(), &e)
            })
            .collect();
        (fill(&index_var, &elem_var), conds)
    }

    // ------------------------------------------------------- resources

    /// Picks a copy of `to` from `ctx`: `to`, `to[k]` or `to[i % n]`.
    fn copy_of(&mut self, to: &Res, ctx: &Ctx) -> String {
        if let (
            Guard::PerCopy(_),
            Some(Loop {
                index: Some((var, _)),
                ..
            }),
        ) = (&to.guard, &ctx.lp)
            && to.guard == ctx.guard
        {
            // The copy of the same index, which exists when this one does.
            return format!("{}[{var}]", to.name);
        }
        match &to.copies {
            None => to.name.clone(),
            Some(copies) => match &ctx.lp {
                Some(Loop {
                    index: Some((var, start)),
                    copies: own,
                    deploy: false,
                    ..
                }) if self.rng.chance(70) => {
                    if *start == 0 && own.min <= copies.min && own.count == own.min.to_string() {
                        format!("{}[{var}]", to.name)
                    } else {
                        format!("{}[{var} % {}]", to.name, copies.count)
                    }
                }
                _ => format!("{}[{}]", to.name, self.rng.below(copies.min)),
            },
        }
    }

    /// The resources of `kind` reachable directly from `from` that pass
    /// `keep`.
    fn direct(&self, sc: &Scope, from: &Guard, keep: impl Fn(&Res) -> bool) -> Vec<usize> {
        (0..sc.res.len())
            .filter(|&i| matches!(access(from, &sc.res[i]), Access::Direct) && keep(&sc.res[i]))
            .collect()
    }

    /// A resource of `kind` reachable directly from `from`, created when
    /// there is none.
    fn need(
        &mut self,
        sc: &mut Scope,
        kind: Kind,
        from: &Guard,
        keep: impl Fn(&Res) -> bool,
    ) -> usize {
        let found = self.direct(sc, from, |r| r.kind == kind && keep(r));
        if !found.is_empty() && (self.rng.chance(85) || sc.component) {
            return found[self.rng.below(found.len())];
        }
        if sc.component && matches!(kind, Kind::Subnet | Kind::Network | Kind::Zone) {
            return self.resource_param(sc, kind);
        }
        let guard = match from {
            Guard::When(_) if self.rng.chance(30) => from.clone(),
            _ => Guard::Always,
        };
        let made = self.add(sc, kind, Some(guard));
        match found.first() {
            Some(&f) if sc.res[made].kind != kind || !keep(&sc.res[made]) => f,
            _ => made,
        }
    }

    /// A component param holding a resource.
    fn resource_param(&mut self, sc: &mut Scope, kind: Kind) -> usize {
        let list = kind == Kind::Subnet && self.rng.chance(40);
        let (base, ty) = match kind {
            // A list, read as `subnets[i % length(subnets)]`.
            Kind::Subnet if list => ("subnets", "[network.Subnet]"),
            Kind::Subnet => ("subnet", "network.Subnet"),
            Kind::Network => ("network", "network.Network"),
            _ => ("zone", "dns.Zone"),
        };
        let role = if list { Role::Subnets } else { Role::Res(kind) };
        let name = self.add_param(sc, base, ty, None, Vec::new(), role);
        let mut res = Res::new(name.clone(), kind);
        if list {
            res.copies = Some(Copies {
                min: 1,
                count: format!("length({name})"),
            });
        }
        res.param = true;
        res.net = Some(0);
        sc.res.push(res);
        sc.res.len() - 1
    }

    /// Adds a resource of `kind` (with the given guard, or a random one) and
    /// what it needs; returns its index in `sc.res`.
    fn add(&mut self, sc: &mut Scope, kind: Kind, guard: Option<Guard>) -> usize {
        let kind = match kind {
            Kind::Instance(_) => {
                let reuse = !self.components.is_empty()
                    && (self.components.len() >= 2 || self.rng.chance(50));
                if reuse {
                    Kind::Instance(self.rng.below(self.components.len()))
                } else {
                    Kind::Instance(self.make_component())
                }
            }
            k => k,
        };
        let base = self.rng.pick(kind.names());
        let name = self.fresh(base);
        let word = name.replace('_', "-");
        let mut res = Res::new(name.clone(), kind);
        // A floating IP takes its server's guard and copies: see `floating_ip`.
        let loopable = !matches!(
            kind,
            Kind::Network | Kind::Router | Kind::KeyPair | Kind::FloatingIp
        );
        let deploy_count = !sc.component
            && guard.is_none()
            && matches!(kind, Kind::Queue | Kind::KeyPair | Kind::Zone)
            && self.rng.chance(DEPLOY_TIME_COUNTS);
        // Repeating the `for` and `if` of a resource that has some copies
        // only, to read its copy of the same index.
        let mirrors: Vec<usize> = (0..sc.res.len())
            .filter(|&i| sc.res[i].mirrorable)
            .collect();
        let possible = guard.is_none() && loopable && !deploy_count && !mirrors.is_empty();
        let mirror = (possible && self.rng.chance(30))
            .then(|| sc.res[mirrors[self.rng.below(mirrors.len())]].clone());
        let lp = if let Some(m) = &mirror {
            m.lp.clone()
        } else if deploy_count {
            let options = vec![("min".into(), atom("1")), ("max".into(), atom("4"))];
            let base = format!("{name}_count");
            let count = self.add_param(sc, &base, "int", Some(atom("2")), options, Role::Plain);
            Some(Loop {
                binding: "i".into(),
                iterable: atom(format!("0..{count}")),
                copies: Copies { min: 1, count },
                index: Some(("i".into(), 0)),
                elem: Elem::None,
                deploy: true,
            })
        } else {
            (loopable && self.rng.chance(35)).then(|| self.make_loop(sc, kind == Kind::Subnet))
        };
        res.deploy_count = deploy_count;
        let mut guard_text = None;
        let guard = match guard {
            Some(g) => g,
            None if kind == Kind::FloatingIp => Guard::Always,
            None if deploy_count => Guard::Always,
            None if mirror.is_some() => {
                let m = mirror.as_ref().unwrap();
                res.copy_conds = m.copy_conds.clone();
                guard_text = m.lp.as_ref().and(match &m.guard {
                    Guard::PerCopy(header) => header.split(" if ").nth(1).map(str::to_string),
                    _ => None,
                });
                m.guard.clone()
            }
            None => match self.rng.below(100) {
                0..=54 => Guard::Always,
                55..=79 => Guard::When(self.condition(sc)),
                _ if lp.is_some() => {
                    let lp = lp.as_ref().unwrap();
                    let (text, conds) = self.per_copy_guard(sc, lp);
                    res.copy_conds = conds;
                    let iterable = flat(&lp.iterable).unwrap_or_default();
                    guard_text = Some(text.clone());
                    Guard::PerCopy(format!("for {} in {iterable} if {text}", lp.binding))
                }
                _ => Guard::Always,
            },
        };
        if let Guard::When(g) = &guard {
            guard_text = Some(g.clone());
        }
        let mut ctx = Ctx { guard, lp };
        let props = match kind {
            Kind::Network => self.network(sc, &mut res, &ctx, &word),
            Kind::Subnet => self.subnet(sc, &mut res, &ctx, &word),
            Kind::Router => self.router(sc, &mut res, &ctx, &word),
            Kind::SecurityGroup => self.security_group(sc, &mut res, &ctx, &word),
            Kind::Server => self.server(sc, &mut res, &ctx, &word),
            Kind::KeyPair => self.key_pair(sc, &ctx, &word),
            Kind::Volume => self.volume(sc, &ctx, &word),
            Kind::FloatingIp => self.floating_ip(sc, &mut res, &mut ctx),
            Kind::Queue => self.queue(sc, &mut res, &ctx, &word),
            Kind::Bucket => self.bucket(sc, &ctx, &word),
            Kind::Zone => self.zone(sc, &ctx, &word),
            Kind::Record => self.record(sc, &ctx, &word),
            Kind::Password => self.password(sc, &ctx),
            Kind::Instance(c) => self.instance(sc, c, &ctx, &word),
        };
        let mut props = props;
        // A fallback may have made another kind.
        let kind = res.kind;
        let guard_text = match (&ctx.guard, kind) {
            (Guard::When(g), Kind::FloatingIp) => Some(g.clone()),
            (_, Kind::FloatingIp) => None,
            _ => guard_text,
        };
        res.deps = dependencies(sc, &props);
        if self.rng.chance(20) {
            // Only what no reference already orders (W0401 otherwise).
            let from = ctx.from();
            let candidates = self.direct(sc, &from, |r| {
                !r.param && !res.deps.contains(&r.name) && !matches!(r.guard, Guard::PerCopy(_))
            });
            let mut chosen: Vec<usize> = Vec::new();
            for _ in 0..self.rng.between(1, 2) {
                if candidates.is_empty() {
                    break;
                }
                let c = candidates[self.rng.below(candidates.len())];
                let related = chosen.iter().any(|&o| {
                    o == c
                        || sc.res[o].deps.contains(&sc.res[c].name)
                        || sc.res[c].deps.contains(&sc.res[o].name)
                });
                if !related {
                    chosen.push(c);
                }
            }
            if !chosen.is_empty() {
                for &c in &chosen {
                    res.deps.insert(sc.res[c].name.clone());
                    res.deps.extend(sc.res[c].deps.iter().cloned());
                }
                let names = chosen
                    .iter()
                    .map(|&i| atom(sc.res[i].name.clone()))
                    .collect();
                props.push(("depends_on".into(), E::List(names)));
            }
        }
        if kind.persistent() && self.rng.chance(20) {
            // `delete` is warned about (W0201): rarely.
            let options: &[&str] = if kind == Kind::Volume {
                // `snapshot` is refused where the tool takes none (E0507).
                &["delete", "retain", "retain", "snapshot", "retain"]
            } else {
                &["delete", "retain", "retain", "retain"]
            };
            props.push(("deletion".into(), string(self.rng.pick(options))));
        }
        res.copies = ctx.lp.as_ref().map(|l| l.copies.clone());
        res.guard = ctx.guard.clone();
        res.lp = ctx.lp.clone();
        res.mirrorable = matches!(res.guard, Guard::PerCopy(_))
            && matches!(
                &res.lp,
                Some(Loop {
                    index: Some((_, 0)),
                    deploy: false,
                    ..
                })
            );
        if let (Some(copies), Kind::Server) = (&res.copies, kind) {
            res.attached = vec![false; copies.min];
        } else if kind == Kind::Server {
            res.attached = vec![false];
        }
        let doc = self.doc(25);
        let ty = kind.type_name(&self.components);
        sc.decls.push(ResDecl {
            doc,
            name,
            ty,
            lp: ctx.lp,
            guard: guard_text,
            props,
        });
        sc.res.push(res);
        sc.res.len() - 1
    }

    fn network(
        &mut self,
        sc: &mut Scope,
        res: &mut Res,
        _ctx: &Ctx,
        word: &str,
    ) -> Vec<(String, E)> {
        let octet = sc.next_octet % 250;
        sc.next_octet += 1 + self.rng.below(3);
        res.octet = octet as u8;
        res.net = Some(sc.next_net);
        sc.next_net += 1;
        res.next_subnet = self.rng.below(4) * 10;
        let cidr = format!("10.{octet}.0.0/16");
        let mut props = Vec::new();
        if self.rng.chance(40) {
            props.push(("name".into(), string(word)));
        }
        if self.rng.chance(30) {
            let name = self.add_let(sc, &format!("{}_cidr", res.name), string(&cidr));
            res.cidr_let = Some(name.clone());
            props.push(("cidr".into(), atom(name)));
        } else {
            props.push(("cidr".into(), string(cidr)));
        }
        props
    }

    fn subnet(&mut self, sc: &mut Scope, res: &mut Res, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let from = ctx.from();
        let net = self.need(sc, Kind::Network, &from, |_| true);
        let count = ctx.lp.as_ref().map_or(1, |l| l.copies.min);
        let start = ctx
            .lp
            .as_ref()
            .and_then(|l| l.index.as_ref())
            .map_or(0, |(_, start)| *start);
        let network = &mut sc.res[net];
        // The copies' third octets: `first..first + count`, `first` at
        // least the index's first value so that `i + (first - start)`.
        let first = network.next_subnet.max(start);
        network.next_subnet = first + count + self.rng.below(2);
        let (octet, cidr_let, net_name, net_id) = (
            network.octet,
            network.cidr_let.clone(),
            network.name.clone(),
            network.net,
        );
        res.net = net_id;
        let third = match &ctx.lp {
            None => first.to_string(),
            Some(lp) => {
                let (var, start) = lp.index.clone().expect("a subnet loop has an index");
                let offset = first - start;
                if offset == 0 {
                    var
                } else {
                    format!("{var} + {offset}")
                }
            }
        };
        let mut props = Vec::new();
        if self.rng.chance(40) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        props.push(("network".into(), atom(net_name)));
        let cidr = match cidr_let {
            Some(name) if self.rng.chance(70) => {
                E::Call("cidrsubnet", vec![atom(name), atom("8"), atom(third)])
            }
            _ if third.chars().all(|c| c.is_ascii_digit()) => {
                string(format!("10.{octet}.{third}.0/24"))
            }
            _ => string(format!("10.{octet}.${{{third}}}.0/24")),
        };
        props.push(("cidr".into(), cidr));
        if self.rng.chance(30) {
            props.push(("public".into(), self.bool_value(sc, ctx)));
        }
        props
    }

    fn router(&mut self, sc: &mut Scope, res: &mut Res, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let from = ctx.from();
        let net = self.need(sc, Kind::Network, &from, |r| !r.routed);
        if sc.res[net].routed {
            // Every network reachable has its router: make another.
            return self.queue(sc, res, ctx, word);
        }
        sc.res[net].routed = true;
        let net_id = sc.res[net].net;
        let mut props = Vec::new();
        if self.rng.chance(30) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        props.push(("network".into(), atom(sc.res[net].name.clone())));
        let subnets = self.direct(sc, &from, |r| r.kind == Kind::Subnet && r.net == net_id);
        if !subnets.is_empty() && self.rng.chance(80) {
            let one = subnets[self.rng.below(subnets.len())];
            let value = if sc.res[one].copies.is_some() && self.rng.chance(60) {
                atom(sc.res[one].name.clone())
            } else {
                let mut items = Vec::new();
                for &s in &subnets {
                    match &sc.res[s].copies {
                        None => items.push(atom(sc.res[s].name.clone())),
                        Some(c) => {
                            for k in 0..c.min {
                                items.push(atom(format!("{}[{k}]", sc.res[s].name)));
                            }
                        }
                    }
                }
                E::List(items)
            };
            props.push(("subnets".into(), value));
        }
        if self.rng.chance(30) {
            props.push(("internet_access".into(), self.bool_value(sc, ctx)));
        }
        props
    }

    fn rule(&mut self, sc: &mut Scope, ctx: &Ctx, net: Option<usize>, ingress: bool) -> E {
        let mut entries: Vec<(String, E)> = Vec::new();
        let from = ctx.from();
        let others = self.direct(sc, &from, |r| r.kind == Kind::SecurityGroup && r.net == net);
        let pick = if ingress && !others.is_empty() && self.rng.chance(60) {
            5
        } else {
            self.rng.below(6)
        };
        match pick {
            0 => {
                entries.push(("protocol".into(), string("tcp")));
                entries.push(("port".into(), atom(self.rng.pick(&["22", "80", "443"]))));
                entries.push(("cidr".into(), string("10.0.0.0/8")));
            }
            1 => {
                entries.push(("protocol".into(), string("tcp")));
                entries.push(("port".into(), self.int_value(sc, ctx, Fam::Port)));
            }
            2 => {
                entries.push(("protocol".into(), string("udp")));
                entries.push(("port".into(), atom("53")));
                entries.push(("cidr".into(), string("0.0.0.0/0")));
                entries.push(("description".into(), string("DNS")));
            }
            3 => entries.push(("protocol".into(), string("icmp"))),
            4 => {
                entries.push(("protocol".into(), string("tcp")));
                entries.push(("port".into(), atom("8000")));
                entries.push(("to_port".into(), atom("8100")));
            }
            _ => {
                entries.push(("protocol".into(), string("tcp")));
                entries.push(("port".into(), atom("443")));
                let from = ctx.from();
                let groups =
                    self.direct(sc, &from, |r| r.kind == Kind::SecurityGroup && r.net == net);
                if ingress && !groups.is_empty() {
                    let g = sc.res[groups[self.rng.below(groups.len())]].clone();
                    let copy = self.copy_of(&g, ctx);
                    entries.push(("source_group".into(), atom(copy)));
                } else {
                    entries.push(("cidr".into(), string("0.0.0.0/0")));
                }
            }
        }
        E::Object(entries)
    }

    fn security_group(
        &mut self,
        sc: &mut Scope,
        res: &mut Res,
        ctx: &Ctx,
        word: &str,
    ) -> Vec<(String, E)> {
        let from = ctx.from();
        let net = self.need(sc, Kind::Network, &from, |_| true);
        res.net = sc.res[net].net;
        let mut props = Vec::new();
        if self.rng.chance(40) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        if self.rng.chance(40) {
            let text = match self.rng.chance(50) {
                true => format!("{}{word} traffic", self.prefix(sc).unwrap_or_default()),
                false => format!("{word} traffic"),
            };
            props.push(("description".into(), string(text)));
        }
        props.push(("network".into(), atom(sc.res[net].name.clone())));
        let ingress = match (&ctx.lp, self.rng.below(4)) {
            (
                Some(Loop {
                    elem: Elem::Obj(var, _),
                    ..
                }),
                0 | 1,
            ) => Some(E::List(vec![E::Object(vec![
                ("protocol".into(), string("tcp")),
                ("port".into(), atom(format!("{var}.port"))),
            ])])),
            (None, 0) if !sc.component => {
                let (list, _) = self.tier_list(sc);
                Some(comp(
                    format!("for r in {list}"),
                    E::Object(vec![
                        ("protocol".into(), string("tcp")),
                        ("port".into(), atom("r.port")),
                    ]),
                ))
            }
            (_, 3) => None,
            _ => {
                // Distinct rules: AWS refuses a duplicate.
                let mut rules = Vec::new();
                let mut seen = BTreeSet::new();
                for _ in 0..self.rng.between(1, 3) {
                    let rule = self.rule(sc, ctx, res.net, true);
                    if seen.insert(flat(&rule)) {
                        rules.push(rule);
                    }
                }
                Some(E::List(rules))
            }
        };
        if let Some(ingress) = ingress {
            props.push(("ingress".into(), ingress));
        }
        match self.rng.below(5) {
            0 => props.push(("egress".into(), E::List(Vec::new()))),
            1 => {
                let rule = self.rule(sc, ctx, res.net, false);
                props.push(("egress".into(), E::List(vec![rule])));
            }
            _ => {}
        }
        props
    }

    fn server(&mut self, sc: &mut Scope, res: &mut Res, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let from = ctx.from();
        let subnet = self.need(sc, Kind::Subnet, &from, |_| true);
        let subnet = sc.res[subnet].clone();
        res.net = subnet.net;
        let mut props = Vec::new();
        if self.rng.chance(60) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        props.push(("image".into(), self.image(sc)));
        match self.rng.below(6) {
            0 => props.push(("size".into(), string(self.rng.pick(&["medium", "large"])))),
            1 | 2 => {
                let c = self.deploy_or_const(sc);
                let value = cond(c, string("large"), string("small"));
                props.push(("size".into(), value));
            }
            3 => {
                if let Some(Loop {
                    elem: Elem::Obj(var, _),
                    ..
                }) = &ctx.lp
                {
                    props.push(("size".into(), atom(format!("{var}.size"))));
                }
            }
            _ => {}
        }
        let net = subnet.net;
        let others = self.direct(sc, &from, |r| {
            r.kind == Kind::Subnet && r.net == net && r.name != subnet.name
        });
        let value = match others.first() {
            Some(&o) if self.rng.chance(35) => {
                // One subnet or another, decided at deploy time.
                let other = sc.res[o].clone();
                let c = self.deploy_or_const(sc);
                cond(
                    c,
                    atom(self.copy_of(&subnet, ctx)),
                    atom(self.copy_of(&other, ctx)),
                )
            }
            _ => atom(self.copy_of(&subnet, ctx)),
        };
        props.push(("subnet".into(), value));
        if self.rng.chance(40) {
            let net = res.net;
            let groups = if sc.component {
                self.direct(sc, &from, |r| r.kind == Kind::SecurityGroup)
            } else {
                self.direct(sc, &from, |r| r.kind == Kind::SecurityGroup && r.net == net)
            };
            let groups = if groups.is_empty() && self.rng.chance(50) {
                let made = if sc.component {
                    Some(self.add(sc, Kind::SecurityGroup, Some(Guard::Always)))
                } else {
                    self.add_security_group_in(sc, net)
                };
                made.into_iter().collect()
            } else {
                groups
            };
            if !groups.is_empty() {
                let g = sc.res[groups[self.rng.below(groups.len())]].clone();
                let value = if g.copies.is_some() && self.rng.chance(40) {
                    atom(g.name.clone())
                } else {
                    E::List(vec![atom(self.copy_of(&g, ctx))])
                };
                props.push(("security_groups".into(), value));
            }
        }
        if self.rng.chance(15) {
            let keys = self.direct(sc, &from, |r| r.kind == Kind::KeyPair);
            if let Some(&k) = keys.first() {
                props.push(("key_pair".into(), atom(sc.res[k].name.clone())));
            }
        }
        if self.rng.chance(35) {
            let text = self.user_data(sc, ctx);
            props.push(("user_data".into(), text));
        }
        if self.rng.chance(20) {
            res.public_ip = true;
            props.push(("public_ip".into(), self.bool_value(sc, ctx)));
        }
        if self.rng.chance(15) {
            let value = if self.rng.chance(50) {
                let c = self.deploy_or_const(sc);
                cond(c, atom("40"), atom("null"))
            } else {
                self.int_value(sc, ctx, Fam::RootDisk)
            };
            props.push(("volume_size".into(), value));
        }
        props
    }

    /// A security group in the network `net` (a top-level one).
    fn add_security_group_in(&mut self, sc: &mut Scope, net: Option<usize>) -> Option<usize> {
        let base = self.rng.pick(Kind::SecurityGroup.names());
        let name = self.fresh(base);
        let network = sc
            .res
            .iter()
            .find(|r| r.kind == Kind::Network && r.net == net)
            .expect("a subnet's network");
        if network.guard != Guard::Always {
            return None;
        }
        let network = network.name.clone();
        let mut res = Res::new(name.clone(), Kind::SecurityGroup);
        res.net = net;
        let rule = E::Object(vec![
            ("protocol".into(), string("tcp")),
            ("port".into(), atom("22")),
            ("cidr".into(), string("10.0.0.0/8")),
        ]);
        sc.decls.push(ResDecl {
            doc: None,
            name,
            ty: Kind::SecurityGroup.type_name(&self.components),
            lp: None,
            guard: None,
            props: vec![
                ("network".into(), atom(network)),
                ("ingress".into(), E::List(vec![rule])),
            ],
        });
        sc.res.push(res);
        Some(sc.res.len() - 1)
    }

    /// A boot script reading other resources and params.
    fn user_data(&mut self, sc: &mut Scope, ctx: &Ctx) -> E {
        if self.rng.chance(30) {
            // A one-line script.
            return string(format!(
                "#!/bin/sh\\necho {}",
                self.rng.pick(&["ready", "hello"])
            ));
        }
        let mut lines = vec!["#!/bin/sh".to_string(), "set -eu".to_string()];
        let from = ctx.from();
        let queues = self.direct(sc, &from, |r| r.kind == Kind::Queue);
        if !queues.is_empty() {
            let q = sc.res[queues[self.rng.below(queues.len())]].clone();
            let copy = self.copy_of(&q, ctx);
            lines.push(format!(
                "echo \"QUEUE_URL=${{{copy}.url}}\" >> /etc/app.env"
            ));
        }
        let buckets = self.direct(sc, &from, |r| r.kind == Kind::Bucket);
        if !buckets.is_empty() {
            let b = sc.res[buckets[self.rng.below(buckets.len())]].clone();
            let copy = self.copy_of(&b, ctx);
            lines.push(format!("echo \"BUCKET=${{{copy}.name}}\" >> /etc/app.env"));
        }
        if let Some(lp) = &ctx.lp {
            lines.push(format!("echo \"COPY={}\" >> /etc/app.env", lp.unique()));
        }
        if self.rng.chance(40)
            && let Some(p) = self.prefix(sc)
        {
            lines.push(format!("hostnamectl set-hostname \"{p}host\""));
        }
        lines.push(String::new());
        lines.push("systemctl enable --now app.service".to_string());
        E::Text(lines)
    }

    fn key_pair(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        vec![
            ("name".into(), self.cloud_name(sc, ctx, word)),
            (
                "public_key".into(),
                string("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly ci"),
            ),
        ]
    }

    fn volume(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let mut props = Vec::new();
        if self.rng.chance(30) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        props.push(("size_gb".into(), self.int_value(sc, ctx, Fam::Disk)));
        match self.rng.below(5) {
            0 => props.push(("type".into(), string("ssd"))),
            1 => {
                let c = self.deploy_or_const(sc);
                props.push(("type".into(), cond(c, string("ssd"), string("standard"))));
            }
            _ => {}
        }
        if self.rng.chance(60) {
            let mut target = self.attach(sc, ctx);
            if target.is_none() && ctx.lp.is_none() && self.rng.chance(50) {
                // A server of its own to attach to.
                let from = ctx.from();
                self.need(sc, Kind::Server, &from, |r| !r.public_ip);
                target = self.attach(sc, ctx);
            }
            if let Some(target) = target {
                props.push(("attach_to".into(), target));
                if self.rng.chance(30) {
                    props.push(("device".into(), string("/dev/sdf")));
                }
            }
        }
        props
    }

    /// A server copy with nothing attached, reachable from `ctx`, marked
    /// taken: for a volume or a floating IP. A loop takes copy `i` of a
    /// server with as many copies.
    fn attach(&mut self, sc: &mut Scope, ctx: &Ctx) -> Option<E> {
        let from = ctx.from();
        let mut candidates = Vec::new();
        for (i, r) in sc.res.iter().enumerate() {
            if r.kind != Kind::Server || r.public_ip {
                continue;
            }
            let reach = access(&from, r);
            if matches!(reach, Access::Never) {
                continue;
            }
            match &ctx.lp {
                None => {
                    if let Some(k) = r.attached.iter().position(|a| !a) {
                        candidates.push((i, Some(k), reach));
                    }
                }
                Some(lp) => {
                    // `server[i]` for copies 0..n of the loop.
                    let Some((_, 0)) = &lp.index else { continue };
                    let own = &lp.copies;
                    let Some(copies) = &r.copies else { continue };
                    if own.count != own.min.to_string()
                        || own.min > copies.min
                        || r.attached[..own.min].iter().any(|a| *a)
                        || !matches!(reach, Access::Direct)
                    {
                        continue;
                    }
                    candidates.push((i, None, reach));
                }
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let (i, k, reach) = candidates.swap_remove(self.rng.below(candidates.len()));
        let r = &mut sc.res[i];
        let text = match (k, &r.copies, &ctx.lp) {
            (Some(k), None, _) => {
                r.attached[k] = true;
                r.name.clone()
            }
            (Some(k), Some(_), _) => {
                r.attached[k] = true;
                format!("{}[{k}]", r.name)
            }
            (None, _, Some(lp)) => {
                for a in r.attached[..lp.copies.min].iter_mut() {
                    *a = true;
                }
                let (var, _) = lp.index.clone().unwrap();
                format!("{}[{var}]", r.name)
            }
            (None, _, None) => unreachable!("a loop's candidate"),
        };
        Some(match reach {
            Access::Under(g) => cond(g, atom(text), atom("null")),
            _ => atom(text),
        })
    }

    fn floating_ip(&mut self, sc: &mut Scope, res: &mut Res, ctx: &mut Ctx) -> Vec<(String, E)> {
        // The address takes its server's guard, so the server is direct.
        let servers: Vec<usize> = (0..sc.res.len())
            .filter(|&i| {
                let r = &sc.res[i];
                r.kind == Kind::Server
                    && !r.public_ip
                    && !matches!(r.guard, Guard::PerCopy(_))
                    && r.attached.iter().any(|a| !a)
            })
            .collect();
        let server = match servers.is_empty() {
            true => self.add(sc, Kind::Server, Some(Guard::Always)),
            false => servers[self.rng.below(servers.len())],
        };
        if sc.res[server].public_ip {
            // The one made is public: make a password instead.
            res.kind = Kind::Password;
            return self.password(sc, ctx);
        }
        ctx.guard = sc.res[server].guard.clone();
        let r = &sc.res[server];
        let free: Vec<usize> = (0..r.attached.len()).filter(|&k| !r.attached[k]).collect();
        let all_free = free.len() == r.attached.len();
        let looped = r.copies.is_some();
        if looped && all_free && self.rng.chance(50) {
            let n = r.attached.len();
            ctx.lp = Some(Loop {
                binding: "i".into(),
                iterable: atom(format!("0..{n}")),
                copies: Copies {
                    min: n,
                    count: n.to_string(),
                },
                index: Some(("i".into(), 0)),
                elem: Elem::None,
                deploy: false,
            });
            let r = &mut sc.res[server];
            r.attached.iter_mut().for_each(|a| *a = true);
            return vec![("server".into(), atom(format!("{}[i]", r.name)))];
        }
        ctx.lp = None;
        let k = free[self.rng.below(free.len())];
        let r = &mut sc.res[server];
        r.attached[k] = true;
        let text = if looped {
            format!("{}[{k}]", r.name)
        } else {
            r.name.clone()
        };
        vec![("server".into(), atom(text))]
    }

    fn queue(&mut self, sc: &mut Scope, res: &mut Res, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        res.kind = Kind::Queue;
        let mut props = Vec::new();
        if self.rng.chance(60) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        let from = ctx.from();
        let dead = self.rng.chance(35);
        if !dead && self.rng.chance(15) {
            res.fifo = true;
            props.push(("fifo".into(), self.bool_value(sc, ctx)));
        }
        if self.rng.chance(30) {
            props.push((
                "retention_seconds".into(),
                self.int_value(sc, ctx, Fam::Retention),
            ));
        }
        if self.rng.chance(25) {
            props.push((
                "visibility_timeout".into(),
                self.int_value(sc, ctx, Fam::Timeout),
            ));
        }
        if dead {
            let candidates: Vec<usize> = (0..sc.res.len())
                .filter(|&i| {
                    let r = &sc.res[i];
                    r.kind == Kind::Queue && !r.fifo && !matches!(access(&from, r), Access::Never)
                })
                .collect();
            if !candidates.is_empty() {
                let q = sc.res[candidates[self.rng.below(candidates.len())]].clone();
                let copy = self.copy_of(&q, ctx);
                let value = match access(&from, &q) {
                    Access::Under(g) => cond(g, atom(copy), atom("null")),
                    _ => atom(copy),
                };
                props.push(("dead_letter_queue".into(), value));
                if self.rng.chance(50) {
                    props.push((
                        "max_receive_count".into(),
                        self.int_value(sc, ctx, Fam::Receives),
                    ));
                }
            }
        }
        props
    }

    fn bucket(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let mut props = Vec::new();
        if self.rng.chance(60) {
            props.push(("name".into(), self.cloud_name(sc, ctx, word)));
        }
        if self.rng.chance(25) {
            props.push(("public_read".into(), self.bool_value(sc, ctx)));
        }
        if self.rng.chance(30) {
            props.push(("versioning".into(), self.bool_value(sc, ctx)));
        }
        if self.rng.chance(20) {
            let mut site = vec![("index".into(), string("index.html"))];
            if self.rng.chance(50) {
                site.push(("error".into(), string("error.html")));
            }
            props.push(("website".into(), E::Object(site)));
        }
        props
    }

    fn zone(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let unique = match &ctx.lp {
            Some(lp) => format!("-{}", lp.unique()),
            None => String::new(),
        };
        let domain = match self.rng.below(if sc.component { 2 } else { 3 }) {
            0 => format!("{word}{unique}.example.com"),
            1 => match self.prefix(sc) {
                Some(p) => format!("{p}{word}{unique}.example.org"),
                None => format!("{word}{unique}.example.org"),
            },
            _ => {
                let (env, _) = self.env(sc);
                format!("{word}{unique}.${{{env}}}.example.net")
            }
        };
        let mut props = vec![("name".into(), string(domain))];
        if self.rng.chance(20) {
            props.push(("email".into(), string("admin@example.com")));
        }
        if self.rng.chance(30) {
            props.push(("comment".into(), string(format!("{word} records"))));
        }
        props
    }

    fn record(&mut self, sc: &mut Scope, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let from = ctx.from();
        let zone = self.need(sc, Kind::Zone, &from, |_| true);
        let z = sc.res[zone].clone();
        let mut props = vec![("zone".into(), atom(self.copy_of(&z, ctx)))];
        let (ty, values) = match self.rng.below(6) {
            0 | 1 => ("A", self.addresses(sc, ctx)),
            2 => {
                let buckets = self.direct(sc, &from, |r| r.kind == Kind::Bucket);
                let value = match buckets.first() {
                    Some(&b) if self.rng.chance(70) => {
                        let b = sc.res[b].clone();
                        let copy = self.copy_of(&b, ctx);
                        E::List(vec![atom(format!("{copy}.domain_name"))])
                    }
                    _ => E::List(vec![string("origin.example.net")]),
                };
                ("CNAME", value)
            }
            3 => ("TXT", E::List(vec![string("\\\"v=spf1 -all\\\"")])),
            4 => ("MX", E::List(vec![string("10 mail.example.com")])),
            _ => ("AAAA", E::List(vec![string("2001:db8::1")])),
        };
        let name = match &ctx.lp {
            // Instances may share the zone: names are made from the label.
            _ if sc.component => {
                let label = self.prefix(sc).unwrap_or_default();
                let unique = ctx.lp.as_ref().map(|lp| format!("-{}", lp.unique()));
                format!("{label}{word}{}", unique.unwrap_or_default())
            }
            Some(lp) => format!("{word}-{}", lp.unique()),
            None => {
                // No CNAME at the zone's apex.
                let apex = if ty == "CNAME" { "www" } else { "@" };
                let options = ["www", "api", apex, "mail", "status", word];
                let free: Vec<&str> = options
                    .iter()
                    .copied()
                    .filter(|n| !sc.res[zone].record_names.contains(*n))
                    .collect();
                let n = free[self.rng.below(free.len())].to_string();
                sc.res[zone].record_names.insert(n.clone());
                n
            }
        };
        props.push(("name".into(), string(&name)));
        props.push(("type".into(), string(ty)));
        if self.rng.chance(40) {
            props.push(("ttl".into(), self.int_value(sc, ctx, Fam::Ttl)));
        }
        props.push(("values".into(), values));
        props
    }

    /// The values of an `A` record: servers' or floating addresses, a
    /// component's list, or literal addresses.
    fn addresses(&mut self, sc: &mut Scope, ctx: &Ctx) -> E {
        let from = ctx.from();
        let literal = E::List(vec![string("192.0.2.10")]);
        let mut sources = Vec::new();
        for (i, r) in sc.res.iter().enumerate() {
            if matches!(access(&from, r), Access::Never) {
                continue;
            }
            match r.kind {
                Kind::Server => sources.push((i, "private_ip".to_string(), false)),
                Kind::FloatingIp => sources.push((i, "address".to_string(), false)),
                Kind::Instance(c) => {
                    for o in &self.components[c].outputs {
                        if o.ty == "[string]" && o.name.contains("ip") {
                            sources.push((i, o.name.clone(), true));
                        }
                    }
                }
                _ => {}
            }
        }
        if sources.is_empty() || self.rng.chance(15) {
            return literal;
        }
        let (i, attr, list) = sources[self.rng.below(sources.len())].clone();
        let r = sc.res[i].clone();
        let value = match (&r.copies, list) {
            (Some(_), false) if self.rng.chance(60) => {
                comp(format!("for x in {}", r.name), atom(format!("x.{attr}")))
            }
            (_, false) => E::List(vec![atom(format!("{}.{attr}", self.copy_of(&r, ctx)))]),
            (_, true) => atom(format!("{}.{attr}", self.copy_of(&r, ctx))),
        };
        match access(&from, &r) {
            Access::Under(g) => cond(g, value, literal),
            _ => value,
        }
    }

    fn password(&mut self, sc: &mut Scope, ctx: &Ctx) -> Vec<(String, E)> {
        let mut props = Vec::new();
        if self.rng.chance(40) {
            props.push((
                "length".into(),
                self.int_value(sc, ctx, Fam::PasswordLength),
            ));
        }
        if self.rng.chance(30) {
            props.push(("special".into(), atom("false")));
        }
        props
    }

    fn instance(&mut self, sc: &mut Scope, c: usize, ctx: &Ctx, word: &str) -> Vec<(String, E)> {
        let from = ctx.from();
        let roles: Vec<(String, Role, bool)> = self.components[c]
            .params
            .iter()
            .map(|p| (p.name.clone(), p.role, p.default.is_some()))
            .collect();
        let mut props = Vec::new();
        // The network of the subnet passed, for the network param.
        let mut subnet_net = None;
        for (name, role, _) in &roles {
            if *role == Role::Res(Kind::Subnet) {
                let s = self.need(sc, Kind::Subnet, &from, |_| true);
                let s = sc.res[s].clone();
                subnet_net = s.net;
                props.push((name.clone(), atom(self.copy_of(&s, ctx))));
            }
            if *role == Role::Subnets {
                let s = self.need(sc, Kind::Subnet, &from, |_| true);
                let s = sc.res[s].clone();
                subnet_net = s.net;
                let value = if s.copies.is_some() && self.rng.chance(60) {
                    atom(s.name.clone())
                } else {
                    let mut items = vec![atom(self.copy_of(&s, ctx))];
                    let net = s.net;
                    let others = self.direct(sc, &from, |r| {
                        r.kind == Kind::Subnet && r.net == net && r.name != s.name
                    });
                    if let Some(&o) = others.first() {
                        let o = sc.res[o].clone();
                        items.push(atom(self.copy_of(&o, ctx)));
                    }
                    E::List(items)
                };
                props.push((name.clone(), value));
            }
        }
        for (name, role, has_default) in roles {
            if has_default && self.rng.chance(40) {
                continue;
            }
            let value = match role {
                Role::Plain => continue,
                Role::Res(Kind::Subnet) | Role::Subnets => continue,
                Role::Label => {
                    let records = self.components[c]
                        .resources
                        .iter()
                        .any(|r| r.ty == "dns.Record");
                    let prefix = if records && AVOID_DEPLOY_TIME_RECORD_NAMES {
                        String::new()
                    } else {
                        self.prefix(sc).unwrap_or_default()
                    };
                    let unique = match &ctx.lp {
                        Some(lp) => format!("-{}", lp.unique()),
                        None => String::new(),
                    };
                    string(format!("{prefix}{word}{unique}"))
                }
                Role::Image => self.image(sc),
                Role::Flag => self.bool_value(sc, ctx),
                Role::Count(min, max) => atom(self.rng.between(min, max).to_string()),
                Role::Int(fam) => self.int_value(sc, ctx, fam),
                Role::Res(Kind::Network) => {
                    let n = match subnet_net {
                        Some(id) => self.need(sc, Kind::Network, &from, |r| r.net == Some(id)),
                        None => self.need(sc, Kind::Network, &from, |_| true),
                    };
                    atom(sc.res[n].name.clone())
                }
                Role::Res(kind) => {
                    let z = self.need(sc, kind, &from, |_| true);
                    let z = sc.res[z].clone();
                    atom(self.copy_of(&z, ctx))
                }
            };
            props.push((name, value));
        }
        props
    }

    // ------------------------------------------------------ components

    /// Declares a component: params, resources, outputs. Returns its index.
    fn make_component(&mut self) -> usize {
        let base = self
            .rng
            .pick(&["Pool", "Pipeline", "Store", "Cluster", "Backend", "Cell"]);
        let name = self.fresh(base);
        // Names inside are made from a `label` param, made when first needed.
        let mut sc = Scope::new(true, 0, 0);
        let count = self.rng.between(1, 4);
        let mut kinds = Vec::new();
        for _ in 0..count {
            let kind = self.pick_kind(&sc);
            kinds.push(kind);
            self.add(&mut sc, kind, None);
        }
        let outputs = self.rng.between(1, 3);
        let mut declared = Vec::new();
        for _ in 0..outputs {
            if let Some(o) = self.add_output(&mut sc) {
                declared.push(o);
            }
        }
        if declared.is_empty() {
            // Every copy of every resource may be filtered out: add one
            // that is always there, for an output.
            self.add(&mut sc, Kind::Queue, Some(Guard::Always));
            while declared.is_empty() {
                declared.extend(self.add_output(&mut sc));
            }
        }
        let state = if kinds.iter().all(|k| *k == Kind::Queue) && self.rng.chance(50) {
            Some("volatile")
        } else if kinds.iter().any(|k| k.persistent()) && self.rng.chance(40) {
            Some("persistent")
        } else {
            None
        };
        let doc = self.doc(60);
        self.components.push(Component {
            doc,
            name,
            state,
            params: sc.params,
            lets: sc.lets,
            resources: sc.decls,
            outputs: declared,
            decls: sc.outputs,
        });
        self.components.len() - 1
    }

    // --------------------------------------------------------- outputs

    fn fresh_output(&mut self, sc: &mut Scope, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while sc.output_names.contains(&name) || sc.component && self.taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        sc.output_names.insert(name.clone());
        name
    }

    /// An output reading a resource of the scope; in a component, with its
    /// type, returned for the instances.
    fn add_output(&mut self, sc: &mut Scope) -> Option<CompOutput> {
        // What may be read, and is not yet: (resource, attribute, a list).
        let mut readable: Vec<(usize, String, bool)> = Vec::new();
        for (i, r) in sc.res.iter().enumerate() {
            if r.deploy_count {
                // Native attributes only: Heat reads one of every member of
                // a group, and nothing computed per member (E0505).
                let attrs: &[&str] = match r.kind {
                    Kind::Queue => &["url", "id"],
                    Kind::KeyPair => &["name", "id"],
                    _ => &["id"],
                };
                readable.extend(attrs.iter().map(|a| (i, a.to_string(), false)));
                continue;
            }
            let filtered = matches!(r.guard, Guard::PerCopy(_)) && !r.copy_conds.is_empty();
            if matches!(access(&Guard::Always, r), Access::Never) && !filtered {
                continue;
            }
            for attr in r.kind.attributes(&self.components) {
                readable.push((i, attr, false));
            }
            if r.copies.is_none() {
                match r.kind {
                    Kind::Zone => readable.push((i, "name_servers".into(), true)),
                    Kind::Instance(c) => {
                        for o in &self.components[c].outputs {
                            if o.ty == "[string]" {
                                readable.push((i, o.name.clone(), true));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        readable.retain(|(i, attr, _)| !sc.read.contains(&(sc.res[*i].name.clone(), attr.clone())));
        if readable.is_empty() {
            if sc.component {
                return None;
            }
            let value = match self.prefix(sc) {
                Some(p) => string(format!("{p}done")),
                None => {
                    let c = self.condition(sc);
                    cond(c, string("on"), string("off"))
                }
            };
            let name = self.fresh_output(sc, "summary");
            sc.outputs.push(OutDecl {
                doc: None,
                name,
                ty: None,
                value,
                options: Vec::new(),
            });
            return None;
        }
        let (i, attr, list) = readable.swap_remove(self.rng.below(readable.len()));
        let r = sc.res[i].clone();
        sc.read.insert((r.name.clone(), attr.clone()));
        let ctx = Ctx {
            guard: Guard::Always,
            lp: None,
        };
        let (mut value, list) = match &r.copies {
            _ if list => (atom(format!("{}.{attr}", r.name)), true),
            _ if matches!(r.guard, Guard::PerCopy(_)) => {
                // One copy, under its own condition.
                let k = self.rng.below(r.copy_conds.len());
                let otherwise = if sc.component {
                    string("")
                } else {
                    atom("null")
                };
                let read = atom(format!("{}[{k}].{attr}", r.name));
                (cond(r.copy_conds[k].clone(), read, otherwise), false)
            }
            _ if r.deploy_count => (
                comp(format!("for x in {}", r.name), atom(format!("x.{attr}"))),
                true,
            ),
            None => (atom(format!("{}.{attr}", r.name)), false),
            Some(_) => match self.rng.below(4) {
                0 => (atom(format!("{}.{attr}", self.copy_of(&r, &ctx))), false),
                1 => (
                    E::Call(
                        "join",
                        vec![
                            string(","),
                            comp(format!("for x in {}", r.name), atom(format!("x.{attr}"))),
                        ],
                    ),
                    false,
                ),
                _ => (
                    comp(format!("for x in {}", r.name), atom(format!("x.{attr}"))),
                    true,
                ),
            },
        };
        if !list && !sc.component && self.rng.chance(20) {
            value = match value {
                E::Atom(a) => string(format!("https://${{{a}}}/")),
                other => other,
            };
        }
        // CloudFormation exports no value that may be empty (E0520): an
        // exported output is read under its condition, and never reads a
        // component's output (which may be `""`).
        let export = !sc.component && !matches!(r.kind, Kind::Instance(_)) && self.rng.chance(15);
        if let Access::Under(g) = access(&Guard::Always, &r) {
            let otherwise = if !sc.component && (export || self.rng.chance(25)) {
                // An output that exists only under the condition.
                atom("null")
            } else if list {
                E::List(Vec::new())
            } else {
                string("")
            };
            value = cond(g, value, otherwise);
        }
        let base = format!("{}_{}", r.name, attr);
        let name = self.fresh_output(sc, &base);
        let mut options = Vec::new();
        if !sc.component && self.rng.chance(10) {
            options.push(("sensitive".into(), atom("true")));
        }
        if export {
            let export = match self.prefix(sc) {
                Some(p) => format!("{p}{}", name.replace('_', "-")),
                None => name.replace('_', "-"),
            };
            options.push(("export".into(), string(export)));
        }
        let ty = if list { "[string]" } else { "string" };
        let doc = self.doc(30);
        sc.outputs.push(OutDecl {
            doc,
            name: name.clone(),
            ty: sc.component.then(|| ty.to_string()),
            value,
            options: if sc.component { Vec::new() } else { options },
        });
        Some(CompOutput {
            name,
            ty: ty.to_string(),
        })
    }

    // ------------------------------------------------------- rendering

    fn render_program(&self, top: &Scope, doc: Option<String>) -> String {
        let mut chunks: Vec<Chunk> = Vec::new();
        for p in &top.params {
            chunks.push(param_chunk(p, 0));
        }
        for l in &top.lets {
            chunks.push(let_chunk(l, 0));
        }
        for c in &self.components {
            chunks.push(component_chunk(c));
        }
        for r in &top.decls {
            chunks.push(resource_chunk(r, 0));
        }
        for o in &top.outputs {
            chunks.push(output_chunk(o, 0));
        }
        let mut text = String::new();
        if let Some(doc) = doc {
            text.push_str(&format!("/// {doc}\n\n"));
        }
        text.push_str(&join_chunks(&chunks));
        text
    }
}

impl Rng {
    fn pick_str(&mut self, xs: &[String]) -> String {
        xs[self.below(xs.len())].clone()
    }
}

/// The resources of `sc` that `props` refer to, and theirs.
fn dependencies(sc: &Scope, props: &[(String, E)]) -> BTreeSet<String> {
    let mut text = String::new();
    for (_, value) in props {
        render(&mut text, value, 0);
        text.push('\n');
    }
    let mut words = BTreeSet::new();
    let mut word = String::new();
    let mut after_dot = false;
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() && !after_dot {
            words.insert(std::mem::take(&mut word));
        }
        word.clear();
        after_dot = c == '.';
    }
    let mut deps = BTreeSet::new();
    for r in &sc.res {
        if words.contains(&r.name) {
            deps.insert(r.name.clone());
            deps.extend(r.deps.iter().cloned());
        }
    }
    deps
}

/// Whether `text` is a bare name.
fn is_name(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `text` as an operand of `&&` or `||`: parenthesised unless a name or a
/// comparison (which binds tighter).
fn wrap(text: &str) -> String {
    if text.contains("&&") || text.contains("||") {
        format!("({text})")
    } else {
        text.to_string()
    }
}

/// One declaration's text, and how it joins its neighbours.
struct Chunk {
    text: String,
    /// `param` or `let` on one line without doc: such neighbours of one
    /// kind are written without a blank line between them.
    group: Option<&'static str>,
}

fn join_chunks(chunks: &[Chunk]) -> String {
    let mut text = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            let previous = &chunks[i - 1];
            let tight = previous.group.is_some() && previous.group == chunk.group;
            text.push_str(if tight { "\n" } else { "\n\n" });
        }
        text.push_str(&chunk.text);
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

fn doc_lines(buf: &mut String, doc: &Option<String>, indent: usize) {
    if let Some(doc) = doc {
        spaces(buf, indent);
        buf.push_str("/// ");
        buf.push_str(doc);
        buf.push('\n');
    }
}

/// `{`, one `key = value` per line, `}`; `{}` when empty.
fn block(buf: &mut String, props: &[(String, E)], indent: usize) {
    if props.is_empty() {
        buf.push_str("{}");
        return;
    }
    buf.push_str("{\n");
    for (key, value) in props {
        spaces(buf, indent + 2);
        buf.push_str(key);
        buf.push_str(" = ");
        render(buf, value, indent + 2);
        buf.push('\n');
    }
    spaces(buf, indent);
    buf.push('}');
}

fn param_chunk(p: &Param, indent: usize) -> Chunk {
    let mut buf = String::new();
    doc_lines(&mut buf, &p.doc, indent);
    spaces(&mut buf, indent);
    buf.push_str(&format!("param {}: {}", p.name, p.ty));
    if let Some(default) = &p.default {
        buf.push_str(" = ");
        render(&mut buf, default, indent);
    }
    if !p.options.is_empty() {
        buf.push(' ');
        block(&mut buf, &p.options, indent);
    }
    let group = (p.doc.is_none() && !buf.contains('\n')).then_some("param");
    Chunk { text: buf, group }
}

fn let_chunk(l: &Let, indent: usize) -> Chunk {
    let mut buf = String::new();
    spaces(&mut buf, indent);
    buf.push_str(&format!("let {} = ", l.name));
    render(&mut buf, &l.value, indent);
    let group = (!buf.contains('\n')).then_some("let");
    Chunk { text: buf, group }
}

fn resource_chunk(r: &ResDecl, indent: usize) -> Chunk {
    let mut buf = String::new();
    doc_lines(&mut buf, &r.doc, indent);
    spaces(&mut buf, indent);
    buf.push_str(&format!("resource {}: {}", r.name, r.ty));
    if let Some(lp) = &r.lp {
        buf.push_str(&format!(" for {} in ", lp.binding));
        render(&mut buf, &lp.iterable, indent);
    }
    if let Some(guard) = &r.guard {
        buf.push_str(" if ");
        buf.push_str(guard);
    }
    buf.push(' ');
    block(&mut buf, &r.props, indent);
    Chunk {
        text: buf,
        group: None,
    }
}

fn output_chunk(o: &OutDecl, indent: usize) -> Chunk {
    let mut buf = String::new();
    doc_lines(&mut buf, &o.doc, indent);
    spaces(&mut buf, indent);
    buf.push_str("output ");
    buf.push_str(&o.name);
    if let Some(ty) = &o.ty {
        buf.push_str(": ");
        buf.push_str(ty);
    }
    buf.push_str(" = ");
    render(&mut buf, &o.value, indent);
    if !o.options.is_empty() {
        buf.push(' ');
        block(&mut buf, &o.options, indent);
    }
    Chunk {
        text: buf,
        group: None,
    }
}

fn component_chunk(c: &Component) -> Chunk {
    let mut chunks = Vec::new();
    for p in &c.params {
        chunks.push(param_chunk(p, 2));
    }
    for l in &c.lets {
        chunks.push(let_chunk(l, 2));
    }
    for r in &c.resources {
        chunks.push(resource_chunk(r, 2));
    }
    for o in &c.decls {
        chunks.push(output_chunk(o, 2));
    }
    let mut buf = String::new();
    doc_lines(&mut buf, &c.doc, 0);
    if let Some(state) = c.state {
        buf.push_str(state);
        buf.push(' ');
    }
    buf.push_str(&format!("component {} {{\n", c.name));
    buf.push_str(&join_chunks(&chunks));
    buf.push('}');
    Chunk {
        text: buf,
        group: None,
    }
}

#[cfg(test)]
mod tests {
    use super::program;

    #[test]
    fn the_same_seed_gives_the_same_program() {
        for seed in 0..20 {
            assert_eq!(program(seed), program(seed));
        }
    }

    #[test]
    fn seeds_give_different_programs() {
        let programs: std::collections::BTreeSet<String> = (0..50).map(program).collect();
        assert!(programs.len() > 45, "{} distinct programs", programs.len());
    }
}
