//! Bench inputs, built deterministically from realistic CloudTrail records of our own making.
//!
//! The records follow the shapes of `samples/make_sample.py` (documentation account ids and IP
//! ranges only) and vary what a real trail varies: event source and name, identity type, user
//! agent, error or success, read-only or not, and payload size (from no `requestParameters` to
//! responses listing dozens of instances). A fixed-seed generator makes every run see the same
//! bytes, so figures are comparable across commits.
//!
//! Inputs: [`small`] (one ~1 KB record in a `Records` object), [`median`] (1,000 records) and
//! [`large`] (≥ 50 MB of JSON), each plain and gzipped, with its records pre-split; and
//! [`firehose`], an Amazon Data Firehose HTTP-endpoint request of [`FIREHOSE_RECORDS`] records,
//! each a gzipped CloudWatch Logs subscription envelope of CloudTrail events.

use std::fmt::Write as _;
use std::io::Write as _;

use cloudtrail_ecs_plugin::api::{Options, SourceMeta};

/// Bytes of decompressed JSON the large object reaches at least.
pub const LARGE_MIN_BYTES: usize = 50_000_000;
/// Records in the median object.
pub const MEDIAN_RECORDS: usize = 1_000;
/// Firehose records in the [`firehose`] request.
pub const FIREHOSE_RECORDS: usize = 500;

/// A small ordered JSON tree, so records keep CloudTrail's member order.
#[derive(Clone, Debug)]
pub enum J {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object, members in order.
    Obj(Vec<(&'static str, J)>),
}

impl J {
    /// Compact JSON text.
    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(n) => {
                let _ = write!(out, "{n}");
            }
            J::Str(s) => write_str(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            J::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn s(v: impl Into<String>) -> J {
    J::Str(v.into())
}

fn obj(members: Vec<(&'static str, J)>) -> J {
    J::Obj(members)
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i]
    }

    /// True with probability `p` percent.
    pub fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n);
        while out.len() < n {
            let _ = write!(out, "{:016x}", self.next_u64());
        }
        out.truncate(n);
        out
    }

    /// `n` upper-case alphanumerics (AWS key-id style).
    pub fn upper(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..n)
            .map(|_| char::from(A[usize::try_from(self.below(32)).unwrap_or(0)]))
            .collect()
    }
}

const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "777788889999"];
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"];
const USERS: [&str; 6] = ["alice", "bob", "carol", "admin", "deploy-bot", "mallory"];
const ROLES: [&str; 5] = [
    "DevOps",
    "Analytics",
    "lambda-exec",
    "ReadOnly",
    "OrganizationAccountAccessRole",
];
const USER_AGENTS: [&str; 8] = [
    "aws-cli/2.18.17 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/command#ec2.describe-instances",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "[aws-sdk-java/2.25.0 Linux/6.1.102 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy]",
    "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54",
    "terraform-provider-aws/5.75.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.1",
    "s3.amazonaws.com",
    "AWS Internal",
];

fn ip(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("192.0.2.{}", rng.below(254) + 1),
        1 => format!("198.51.100.{}", rng.below(254) + 1),
        2 => format!("203.0.113.{}", rng.below(254) + 1),
        _ => format!("2001:db8::{:x}", rng.below(0xffff) + 1),
    }
}

fn uuid(rng: &mut Rng) -> String {
    let h = rng.hex(32);
    format!(
        "{}-{}-4{}-9{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn iam_user(rng: &mut Rng, acct: &str) -> J {
    let name = *rng.pick(&USERS);
    obj(vec![
        ("type", s("IAMUser")),
        ("principalId", s(format!("AIDA{}", rng.upper(17)))),
        ("arn", s(format!("arn:aws:iam::{acct}:user/{name}"))),
        ("accountId", s(acct)),
        ("accessKeyId", s(format!("AKIA{}", rng.upper(16)))),
        ("userName", s(name)),
    ])
}

fn assumed_role(rng: &mut Rng, acct: &str) -> J {
    let role = *rng.pick(&ROLES);
    let session = if rng.percent(50) {
        format!("{}@example.com", rng.pick(&USERS))
    } else {
        format!("session-{}", rng.hex(8))
    };
    let role_id = format!("AROA{}", rng.upper(17));
    obj(vec![
        ("type", s("AssumedRole")),
        ("principalId", s(format!("{role_id}:{session}"))),
        (
            "arn",
            s(format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}")),
        ),
        ("accountId", s(acct)),
        ("accessKeyId", s(format!("ASIA{}", rng.upper(16)))),
        (
            "sessionContext",
            obj(vec![
                (
                    "sessionIssuer",
                    obj(vec![
                        ("type", s("Role")),
                        ("principalId", s(role_id)),
                        ("arn", s(format!("arn:aws:iam::{acct}:role/{role}"))),
                        ("accountId", s(acct)),
                        ("userName", s(role)),
                    ]),
                ),
                ("webIdFederationData", obj(vec![])),
                (
                    "attributes",
                    obj(vec![
                        ("creationDate", s("2026-11-29T11:02:10Z")),
                        (
                            "mfaAuthenticated",
                            s(if rng.percent(30) { "true" } else { "false" }),
                        ),
                    ]),
                ),
            ]),
        ),
    ])
}

fn service(name: &str) -> J {
    obj(vec![("type", s("AWSService")), ("invokedBy", s(name))])
}

fn instances(rng: &mut Rng, acct: &str, n: u64) -> J {
    let items = (0..n)
        .map(|_| {
            let id = rng.hex(17);
            obj(vec![
                ("instanceId", s(format!("i-{id}"))),
                ("imageId", s(format!("ami-{}", rng.hex(17)))),
                (
                    "instanceType",
                    s(*rng.pick(&["t3.micro", "m7g.large", "c6i.2xlarge"])),
                ),
                ("subnetId", s(format!("subnet-{}", rng.hex(17)))),
                ("vpcId", s(format!("vpc-{}", rng.hex(17)))),
                ("ownerId", s(acct)),
                (
                    "instanceState",
                    obj(vec![("code", J::Int(16)), ("name", s("running"))]),
                ),
                (
                    "privateIpAddress",
                    s(format!("10.0.{}.{}", rng.below(255), rng.below(255))),
                ),
                (
                    "tagSet",
                    obj(vec![(
                        "items",
                        J::Arr(vec![
                            obj(vec![
                                ("key", s("Name")),
                                ("value", s(format!("web-{}", rng.below(100)))),
                            ]),
                            obj(vec![("key", s("team")), ("value", s("platform"))]),
                        ]),
                    )]),
                ),
            ])
        })
        .collect();
    obj(vec![("items", J::Arr(items))])
}

/// One record; `i` makes ids unique, `rng` picks everything else.
pub fn record(i: u64, rng: &mut Rng) -> String {
    let acct = *rng.pick(&ACCOUNTS);
    let region = *rng.pick(&REGIONS);
    let secs = 43_200 + i / 10;
    let time = format!(
        "2026-11-29T{:02}:{:02}:{:02}Z",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    );
    let ua = (*rng.pick(&USER_AGENTS)).to_owned();
    let src_ip = ip(rng);
    // (weight, kind): a trail is mostly reads, assumed roles and service calls.
    let kind = match rng.below(100) {
        0..=17 => 0,   // s3 GetObject / PutObject (data event)
        18..=31 => 1,  // kms Decrypt by a service
        32..=43 => 2,  // sts AssumeRole
        44..=55 => 3,  // ec2 DescribeInstances (large responses sometimes)
        56..=61 => 4,  // ConsoleLogin
        62..=67 => 5,  // iam CreateUser / CreateAccessKey
        68..=73 => 6,  // ec2 RunInstances
        74..=79 => 7,  // ec2 AuthorizeSecurityGroupIngress
        80..=85 => 8,  // sts GetCallerIdentity
        86..=89 => 9,  // ssm SendCommand
        90..=93 => 10, // network activity (vpce denied)
        94..=96 => 11, // Identity Center user, ListBuckets
        _ => 12,       // cloudtrail StopLogging / lambda Invoke
    };
    let mut m: Vec<(&'static str, J)> =
        vec![("eventVersion", s(if kind == 10 { "1.09" } else { "1.11" }))];
    let mut read_only = false;
    let mut management = true;
    let mut category = "Management";
    let mut event_type = "AwsApiCall";
    let (ident, source, name, req, resp, extra): (J, &str, &str, J, J, Vec<(&'static str, J)>) =
        match kind {
            0 => {
                let put = rng.percent(25);
                read_only = !put;
                management = false;
                category = "Data";
                let bucket = format!(
                    "example-{}-{}",
                    rng.pick(&["reports", "logs", "media"]),
                    acct
                );
                let key = format!("{}/{}/{}.parquet", 2026, rng.below(12) + 1, rng.hex(12));
                (
                    assumed_role(rng, acct),
                    "s3.amazonaws.com",
                    if put { "PutObject" } else { "GetObject" },
                    obj(vec![
                        ("bucketName", s(bucket.clone())),
                        ("Host", s(format!("{bucket}.s3.{region}.amazonaws.com"))),
                        ("key", s(key.clone())),
                    ]),
                    J::Null,
                    vec![
                        (
                            "additionalEventData",
                            obj(vec![
                                ("SignatureVersion", s("SigV4")),
                                ("CipherSuite", s("TLS_AES_128_GCM_SHA256")),
                                (
                                    "bytesTransferredIn",
                                    J::Int(if put {
                                        1 + rng.below(1 << 20) as i64
                                    } else {
                                        0
                                    }),
                                ),
                                ("AuthenticationMethod", s("AuthHeader")),
                                ("x-amz-id-2", s(rng.hex(40))),
                                (
                                    "bytesTransferredOut",
                                    J::Int(if put { 0 } else { rng.below(1 << 24) as i64 }),
                                ),
                            ]),
                        ),
                        (
                            "resources",
                            J::Arr(vec![
                                obj(vec![
                                    ("type", s("AWS::S3::Object")),
                                    ("ARN", s(format!("arn:aws:s3:::{bucket}/{key}"))),
                                ]),
                                obj(vec![
                                    ("accountId", s(acct)),
                                    ("type", s("AWS::S3::Bucket")),
                                    ("ARN", s(format!("arn:aws:s3:::{bucket}"))),
                                ]),
                            ]),
                        ),
                    ],
                )
            }
            1 => {
                read_only = true;
                let svc = *rng.pick(&[
                    "s3.amazonaws.com",
                    "secretsmanager.amazonaws.com",
                    "lambda.amazonaws.com",
                ]);
                let key = format!("arn:aws:kms:{region}:{acct}:key/{}", uuid(rng));
                (
                    service(svc),
                    "kms.amazonaws.com",
                    "Decrypt",
                    obj(vec![
                        ("encryptionAlgorithm", s("SYMMETRIC_DEFAULT")),
                        (
                            "encryptionContext",
                            obj(vec![(
                                "aws:s3:arn",
                                s(format!("arn:aws:s3:::example-reports/{}", rng.hex(16))),
                            )]),
                        ),
                    ]),
                    J::Null,
                    vec![
                        (
                            "resources",
                            J::Arr(vec![obj(vec![
                                ("accountId", s(acct)),
                                ("type", s("AWS::KMS::Key")),
                                ("ARN", s(key)),
                            ])]),
                        ),
                        ("sharedEventID", s(uuid(rng))),
                    ],
                )
            }
            2 => {
                read_only = true;
                let role = *rng.pick(&ROLES);
                let session = format!("session-{}", rng.hex(10));
                (
                    if rng.percent(60) {
                        service("lambda.amazonaws.com")
                    } else {
                        assumed_role(rng, acct)
                    },
                    "sts.amazonaws.com",
                    "AssumeRole",
                    obj(vec![
                        ("roleArn", s(format!("arn:aws:iam::{acct}:role/{role}"))),
                        ("roleSessionName", s(session.clone())),
                        ("durationSeconds", J::Int(3600)),
                    ]),
                    obj(vec![
                        (
                            "credentials",
                            obj(vec![
                                ("accessKeyId", s(format!("ASIA{}", rng.upper(16)))),
                                (
                                    "sessionToken",
                                    s(format!("IQoJb3JpZ2luX2Vj{}", rng.hex(64))),
                                ),
                                ("expiration", s("Nov 29, 2026, 11:59:30 PM")),
                            ]),
                        ),
                        (
                            "assumedRoleUser",
                            obj(vec![
                                (
                                    "assumedRoleId",
                                    s(format!("AROA{}:{session}", rng.upper(17))),
                                ),
                                (
                                    "arn",
                                    s(format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}")),
                                ),
                            ]),
                        ),
                    ]),
                    vec![
                        (
                            "resources",
                            J::Arr(vec![obj(vec![
                                ("accountId", s(acct)),
                                ("type", s("AWS::IAM::Role")),
                                ("ARN", s(format!("arn:aws:iam::{acct}:role/{role}"))),
                            ])]),
                        ),
                        ("sharedEventID", s(uuid(rng))),
                    ],
                )
            }
            3 => {
                read_only = true;
                let denied = rng.percent(15);
                // Payload size varies: most responses list a few instances, some dozens.
                let n = if rng.percent(10) {
                    10 + rng.below(30)
                } else {
                    rng.below(3)
                };
                let mut extra = vec![];
                if denied {
                    extra.push(("errorCode", s("Client.UnauthorizedOperation")));
                    extra.push((
                        "errorMessage",
                        s("You are not authorized to perform this operation."),
                    ));
                }
                (
                    if rng.percent(50) {
                        iam_user(rng, acct)
                    } else {
                        assumed_role(rng, acct)
                    },
                    "ec2.amazonaws.com",
                    "DescribeInstances",
                    obj(vec![
                        ("instancesSet", obj(vec![])),
                        ("filterSet", obj(vec![])),
                    ]),
                    if denied {
                        J::Null
                    } else {
                        obj(vec![
                            ("requestId", s(uuid(rng))),
                            (
                                "reservationSet",
                                obj(vec![(
                                    "items",
                                    J::Arr(vec![obj(vec![
                                        ("reservationId", s(format!("r-{}", rng.hex(17)))),
                                        ("ownerId", s(acct)),
                                        ("instancesSet", instances(rng, acct, n)),
                                    ])]),
                                )]),
                            ),
                        ])
                    },
                    extra,
                )
            }
            4 => {
                event_type = "AwsConsoleSignIn";
                let ok = rng.percent(80);
                let mut extra = vec![];
                if !ok {
                    extra.push(("errorMessage", s("Failed authentication")));
                }
                extra.push((
                    "additionalEventData",
                    obj(vec![
                        ("LoginTo", s("https://console.aws.amazon.com/console/home")),
                        ("MobileVersion", s("No")),
                        ("MFAUsed", s(if rng.percent(50) { "Yes" } else { "No" })),
                    ]),
                ));
                (
                    if rng.percent(20) {
                        obj(vec![
                            ("type", s("Root")),
                            ("principalId", s(acct)),
                            ("arn", s(format!("arn:aws:iam::{acct}:root"))),
                            ("accountId", s(acct)),
                        ])
                    } else {
                        iam_user(rng, acct)
                    },
                    "signin.amazonaws.com",
                    "ConsoleLogin",
                    J::Null,
                    obj(vec![(
                        "ConsoleLogin",
                        s(if ok { "Success" } else { "Failure" }),
                    )]),
                    extra,
                )
            }
            5 => {
                let user = *rng.pick(&USERS);
                let key = rng.percent(50);
                (
                    iam_user(rng, acct),
                    "iam.amazonaws.com",
                    if key { "CreateAccessKey" } else { "CreateUser" },
                    if key {
                        obj(vec![("userName", s(user))])
                    } else {
                        obj(vec![
                            ("userName", s(user)),
                            (
                                "tags",
                                J::Arr(vec![obj(vec![
                                    ("key", s("team")),
                                    ("value", s("platform")),
                                ])]),
                            ),
                        ])
                    },
                    if key {
                        obj(vec![(
                            "accessKey",
                            obj(vec![
                                ("accessKeyId", s(format!("AKIA{}", rng.upper(16)))),
                                ("status", s("Active")),
                                ("userName", s(user)),
                                ("createDate", s("Nov 29, 2026, 12:01:02 PM")),
                            ]),
                        )])
                    } else {
                        obj(vec![(
                            "user",
                            obj(vec![
                                ("path", s("/")),
                                ("userName", s(user)),
                                ("userId", s(format!("AIDA{}", rng.upper(17)))),
                                ("arn", s(format!("arn:aws:iam::{acct}:user/{user}"))),
                                ("createDate", s("Nov 29, 2026, 12:00:44 PM")),
                            ]),
                        )])
                    },
                    vec![],
                )
            }
            6 => {
                let n = 1 + rng.below(4);
                (
                    assumed_role(rng, acct),
                    "ec2.amazonaws.com",
                    "RunInstances",
                    obj(vec![
                        (
                            "instancesSet",
                            obj(vec![(
                                "items",
                                J::Arr(vec![obj(vec![
                                    ("imageId", s(format!("ami-{}", rng.hex(17)))),
                                    ("minCount", J::Int(n as i64)),
                                    ("maxCount", J::Int(n as i64)),
                                ])]),
                            )]),
                        ),
                        ("instanceType", s("t3.micro")),
                        ("subnetId", s(format!("subnet-{}", rng.hex(17)))),
                        ("disableApiTermination", J::Bool(false)),
                        ("userData", s("<sensitiveDataRemoved>")),
                    ]),
                    obj(vec![
                        ("reservationId", s(format!("r-{}", rng.hex(17)))),
                        ("ownerId", s(acct)),
                        ("instancesSet", instances(rng, acct, n)),
                    ]),
                    vec![(
                        "tlsDetails",
                        obj(vec![
                            ("tlsVersion", s("TLSv1.3")),
                            ("cipherSuite", s("TLS_AES_128_GCM_SHA256")),
                            (
                                "clientProvidedHostHeader",
                                s(format!("ec2.{region}.amazonaws.com")),
                            ),
                        ]),
                    )],
                )
            }
            7 => {
                let port = *rng.pick(&[22i64, 443, 3389, 5432]);
                let sg = format!("sg-{}", rng.hex(17));
                (
                    assumed_role(rng, acct),
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    obj(vec![
                        ("groupId", s(sg.clone())),
                        (
                            "ipPermissions",
                            obj(vec![(
                                "items",
                                J::Arr(vec![obj(vec![
                                    ("ipProtocol", s("tcp")),
                                    ("fromPort", J::Int(port)),
                                    ("toPort", J::Int(port)),
                                    (
                                        "ipRanges",
                                        obj(vec![(
                                            "items",
                                            J::Arr(vec![obj(vec![("cidrIp", s("0.0.0.0/0"))])]),
                                        )]),
                                    ),
                                ])]),
                            )]),
                        ),
                    ]),
                    obj(vec![
                        ("_return", J::Bool(true)),
                        (
                            "securityGroupRuleSet",
                            obj(vec![(
                                "items",
                                J::Arr(vec![obj(vec![
                                    ("groupOwnerId", s(acct)),
                                    ("groupId", s(sg)),
                                    ("securityGroupRuleId", s(format!("sgr-{}", rng.hex(17)))),
                                    ("isEgress", J::Bool(false)),
                                    ("ipProtocol", s("tcp")),
                                    ("fromPort", J::Int(port)),
                                    ("toPort", J::Int(port)),
                                    ("cidrIpv4", s("0.0.0.0/0")),
                                ])]),
                            )]),
                        ),
                    ]),
                    vec![],
                )
            }
            8 => {
                read_only = true;
                (
                    if rng.percent(50) {
                        iam_user(rng, acct)
                    } else {
                        assumed_role(rng, acct)
                    },
                    "sts.amazonaws.com",
                    "GetCallerIdentity",
                    J::Null,
                    J::Null,
                    vec![],
                )
            }
            9 => (
                assumed_role(rng, acct),
                "ssm.amazonaws.com",
                "SendCommand",
                obj(vec![
                    (
                        "instanceIds",
                        J::Arr(
                            (0..1 + rng.below(5))
                                .map(|_| s(format!("i-{}", rng.hex(17))))
                                .collect(),
                        ),
                    ),
                    ("documentName", s("AWS-RunShellScript")),
                    ("parameters", s("HIDDEN_DUE_TO_SECURITY_REASONS")),
                    ("timeoutSeconds", J::Int(600)),
                    ("interactive", J::Bool(false)),
                ]),
                obj(vec![(
                    "command",
                    obj(vec![
                        ("commandId", s(uuid(rng))),
                        ("status", s("Pending")),
                        ("targetCount", J::Int(1)),
                        ("documentName", s("AWS-RunShellScript")),
                    ]),
                )]),
                vec![],
            ),
            10 => {
                read_only = true;
                event_type = "AwsVpceEvent";
                category = "NetworkActivity";
                let vpce = format!("vpce-{}", rng.hex(17));
                (
                    obj(vec![
                        ("type", s("AWSAccount")),
                        ("principalId", s("")),
                        ("accountId", s(ACCOUNTS[1])),
                    ]),
                    "kms.amazonaws.com",
                    "ListKeys",
                    J::Null,
                    J::Null,
                    vec![
                        ("sharedEventID", s(uuid(rng))),
                        ("vpcEndpointId", s(vpce)),
                        ("vpcEndpointAccountId", s(acct)),
                        ("errorCode", s("VpceAccessDenied")),
                        (
                            "errorMessage",
                            s("The request was denied due to a VPC endpoint policy"),
                        ),
                    ],
                )
            }
            11 => {
                read_only = true;
                (
                    obj(vec![
                        ("type", s("IdentityCenterUser")),
                        ("accountId", s(acct)),
                        (
                            "onBehalfOf",
                            obj(vec![
                                ("userId", s(uuid(rng))),
                                (
                                    "identityStoreArn",
                                    s(format!(
                                        "arn:aws:identitystore::{acct}:identitystore/d-9067230000"
                                    )),
                                ),
                            ]),
                        ),
                        ("credentialId", s(rng.upper(24))),
                    ]),
                    "s3.amazonaws.com",
                    "ListBuckets",
                    obj(vec![("Host", s("s3.amazonaws.com"))]),
                    J::Null,
                    vec![],
                )
            }
            _ => {
                if rng.percent(50) {
                    (
                        iam_user(rng, acct),
                        "cloudtrail.amazonaws.com",
                        "StopLogging",
                        obj(vec![(
                            "name",
                            s(format!(
                                "arn:aws:cloudtrail:{region}:{acct}:trail/management-events"
                            )),
                        )]),
                        J::Null,
                        vec![],
                    )
                } else {
                    management = false;
                    category = "Data";
                    let f = format!(
                        "arn:aws:lambda:{region}:{acct}:function:handler-{}",
                        rng.below(20)
                    );
                    (
                        assumed_role(rng, acct),
                        "lambda.amazonaws.com",
                        "Invoke",
                        obj(vec![
                            ("functionName", s(f.clone())),
                            ("invocationType", s("RequestResponse")),
                        ]),
                        J::Null,
                        vec![(
                            "resources",
                            J::Arr(vec![obj(vec![
                                ("accountId", s(acct)),
                                ("type", s("AWS::Lambda::Function")),
                                ("ARN", s(f)),
                            ])]),
                        )],
                    )
                }
            }
        };
    m.push(("userIdentity", ident));
    m.push(("eventTime", s(time)));
    m.push(("eventSource", s(source)));
    m.push(("eventName", s(name)));
    m.push(("awsRegion", s(region)));
    let service_ip = matches!(source, "kms.amazonaws.com" | "sts.amazonaws.com")
        && kind != 10
        && rng.percent(50);
    m.push((
        "sourceIPAddress",
        s(if service_ip {
            "AWS Internal".to_owned()
        } else {
            src_ip
        }),
    ));
    m.push(("userAgent", s(ua)));
    let mut errors = vec![];
    let mut rest = vec![];
    for (k, v) in extra {
        if k == "errorCode" || k == "errorMessage" {
            errors.push((k, v));
        } else {
            rest.push((k, v));
        }
    }
    m.extend(errors);
    if kind != 10 {
        m.push(("requestParameters", req));
        m.push(("responseElements", resp));
    }
    let (before, after): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|(k, _)| *k == "additionalEventData");
    m.extend(before);
    m.push(("requestID", s(uuid(rng))));
    m.push(("eventID", s(format!("{}-{i:012}", &uuid(rng)[..23]))));
    if kind != 10 {
        m.push(("readOnly", J::Bool(read_only)));
    }
    m.extend(after);
    m.push(("eventType", s(event_type)));
    m.push(("managementEvent", J::Bool(management)));
    m.push(("recipientAccountId", s(acct)));
    m.push(("eventCategory", s(category)));
    let mut out = String::with_capacity(1024);
    J::Obj(m).write(&mut out);
    out
}

/// A CloudTrail S3 object body and the records in it.
#[derive(Clone, Debug)]
pub struct Input {
    /// Short name used in bench ids.
    pub name: &'static str,
    /// `{"Records":[…]}`, compact, as CloudTrail writes it.
    pub json: Vec<u8>,
    /// `json` gzipped (level 6, as CloudTrail's objects are).
    pub gz: Vec<u8>,
    /// Each record's text.
    pub records: Vec<String>,
}

impl Input {
    /// Records in the object.
    pub fn count(&self) -> u64 {
        self.records.len() as u64
    }
}

/// An object of records generated from `seed` until `stop(records, bytes)` says enough.
pub fn object(name: &'static str, seed: u64, stop: impl Fn(usize, usize) -> bool) -> Input {
    let mut rng = Rng::new(seed);
    let mut records = Vec::new();
    let mut bytes = 0;
    while !stop(records.len(), bytes) {
        let r = record(records.len() as u64, &mut rng);
        bytes += r.len() + 1;
        records.push(r);
    }
    let mut json = String::with_capacity(bytes + 16);
    json.push_str("{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(r);
    }
    json.push_str("]}");
    let json = json.into_bytes();
    let gz = gzip(&json);
    Input {
        name,
        json,
        gz,
        records,
    }
}

/// One ~1 KB record in a `Records` object.
pub fn small() -> Input {
    // Draw records until one of about 1 KB turns up (the draw is deterministic).
    let mut rng = Rng::new(7);
    let mut i = 0;
    let rec = loop {
        let r = record(i, &mut rng);
        if (900..=1300).contains(&r.len()) {
            break r;
        }
        i += 1;
    };
    let json = format!("{{\"Records\":[{rec}]}}").into_bytes();
    Input {
        name: "small",
        gz: gzip(&json),
        json,
        records: vec![rec],
    }
}

/// An object of [`MEDIAN_RECORDS`] mixed records.
pub fn median() -> Input {
    object("median", 42, |n, _| n >= MEDIAN_RECORDS)
}

/// An object of at least [`LARGE_MIN_BYTES`] of JSON.
pub fn large() -> Input {
    object("large", 2026, |_, bytes| bytes >= LARGE_MIN_BYTES)
}

/// An Amazon Data Firehose HTTP-endpoint request body (`spec/input-formats.md` §3) of
/// [`FIREHOSE_RECORDS`] records, as a CloudWatch Logs subscription delivers CloudTrail: each
/// record's `data` is base64 of a gzipped `DATA_MESSAGE` envelope carrying 1–4 log events,
/// each event's `message` one CloudTrail record.
///
/// As [`Input`]: `gz` is the request body (what a decode call gets), `records` the CloudTrail
/// events in order and `json` their texts joined by newlines: the decompressed CloudTrail bytes
/// that MB/s figures count, as for the S3 objects.
pub fn firehose() -> Input {
    let mut rng = Rng::new(500);
    let mut records = Vec::new();
    let mut body = String::from(
        r#"{"requestId":"5f0a3c1e-0b9d-4c6e-9a51-7d2e8f4b6a10","timestamp":1764417600000,"records":["#,
    );
    let mut i = 0u64;
    for r in 0..FIREHOSE_RECORDS {
        let events = 1 + rng.below(4) as usize;
        let account = ACCOUNTS[r % ACCOUNTS.len()];
        let region = REGIONS[r % REGIONS.len()];
        let mut envelope = format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"{account}","logGroup":"aws-cloudtrail-logs-{account}-org","logStream":"{account}_CloudTrail_{region}","subscriptionFilters":["cloudtrail-to-firehose"],"logEvents":["#
        );
        for e in 0..events {
            let record = record(i, &mut rng);
            i += 1;
            if e > 0 {
                envelope.push(',');
            }
            let _ = write!(
                envelope,
                r#"{{"id":"{:056}","timestamp":{},"message":"#,
                i,
                1_764_417_600_000u64 + i * 37
            );
            J::Str(record.clone()).write(&mut envelope);
            envelope.push('}');
            records.push(record);
        }
        envelope.push_str("]}");
        if r > 0 {
            body.push(',');
        }
        body.push_str(r#"{"data":""#);
        body.push_str(&cloudtrail_ecs_plugin::input::base64::encode(&gzip(
            envelope.as_bytes(),
        )));
        body.push_str(r#""}"#);
    }
    body.push_str("]}");
    let json = records.join("\n").into_bytes();
    Input {
        name: "firehose",
        json,
        gz: body.into_bytes(),
        records,
    }
}

/// Metadata of a Firehose request as the HTTP endpoint would pass it (headers).
pub fn firehose_meta() -> SourceMeta {
    SourceMeta {
        received: "2026-11-29T12:30:00.000Z".into(),
        firehose_request_id: Some("5f0a3c1e-0b9d-4c6e-9a51-7d2e8f4b6a10".into()),
        firehose_source_arn: Some(
            "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-elastic".into(),
        ),
        ..SourceMeta::default()
    }
}

/// Gzip at the default level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Metadata of an S3 object as the Elastic integration would see it.
pub fn s3_meta() -> SourceMeta {
    SourceMeta {
        bucket: Some("example-trail-bucket".into()),
        object_key: Some(
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/29/111122223333_CloudTrail_us-east-1_20261129T1200Z_bench.json.gz"
                .into(),
        ),
        source_name: None,
        received: "2026-11-29T12:30:00.000Z".into(),
        namespace: None,
        ..SourceMeta::default()
    }
}

/// Parity options (the reference test configuration) with the per-call cap lifted, so one
/// `decode` call handles a whole object.
pub fn parity_options() -> Options {
    let mut o = Options::default();
    o.limits.max_records_per_call = u64::MAX;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_firehose_request_decodes_to_one_document_per_event() {
        let input = firehose();
        assert_eq!(input.gz, firehose().gz, "deterministic");
        let batch = cloudtrail_ecs_plugin::decoder::decode(
            &input.gz,
            firehose_meta(),
            parity_options(),
            None,
        )
        .expect("valid options");
        assert_eq!(batch.counts.records, input.count());
        assert_eq!(batch.counts.documents, input.count());
        assert_eq!(batch.documents.len() as u64, input.count());
        assert!(input.count() > FIREHOSE_RECORDS as u64);
    }

    #[test]
    fn inputs_are_deterministic_and_valid_json() {
        let a = median();
        let b = median();
        assert_eq!(a.json, b.json);
        assert_eq!(a.count(), MEDIAN_RECORDS as u64);
        let v: serde_json::Value = serde_json::from_slice(&a.json).unwrap();
        assert_eq!(v["Records"].as_array().unwrap().len(), MEDIAN_RECORDS);
        let sm = small();
        assert!((900..=1300).contains(&sm.records[0].len()));
    }

    #[test]
    fn records_vary_in_kind_and_size() {
        let m = median();
        let names: std::collections::BTreeSet<String> = m
            .records
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                v["eventName"].as_str().unwrap().to_owned()
            })
            .collect();
        assert!(names.len() >= 12, "{names:?}");
        let max = m.records.iter().map(String::len).max().unwrap();
        let min = m.records.iter().map(String::len).min().unwrap();
        assert!(max > 8 * min, "sizes {min}..{max}");
    }
}
