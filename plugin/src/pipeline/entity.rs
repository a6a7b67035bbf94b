//! §2.2 Entity extraction (`related.entity`, `*.entity.id`, `*.target.*`, `host.target.id`).
//!
//! Mirrors the reference's `script_append_related_entity_31dc3369` step: it reads the raw record
//! (after the pre-clean, before any rename), fills a `related` set, a `target` set and one `actor`,
//! and writes every output only after all reads, so a failure leaves no entity field.
//!
//! Typing model (the reference's Painless script puts values into a `TreeSet` of strings):
//! - a value *offered* to a set must be a string (empty and missing values are skipped); any other
//!   type makes the step fail, as a `TreeSet` compare would;
//! - a path is walked through objects only: a non-object in the middle of a path reads as missing
//!   (the RDS fixtures read `responseElements.vpcSecurityGroups.vpcSecurityGroupId` through a list
//!   without failing);
//! - a list that is walked must be a list, and each element of it whose member is read must be an
//!   object, otherwise the step fails.

use std::cmp::Ordering;

use crate::json::{Map, Value};

const REQ: &str = "requestParameters";
const RESP: &str = "responseElements";

/// Run §2.2 on the raw record `j` (after the pre-clean, before any rename).
/// Returns the output fields to set, as (dotted output path, value), in the order to set them;
/// `Err(message)` when the reference's script would throw (then no entity field is written).
pub fn extract(j: &Map) -> Result<Vec<(&'static str, Value)>, String> {
    let mut x = Extraction {
        j,
        related: JavaSet::default(),
        target: JavaSet::default(),
    };
    let mut actor = x.seed()?;
    x.per_service(&mut actor)?;
    x.finish(actor)
}

/// Java `String.compareTo`: lexicographic by UTF-16 code unit.
///
/// Differs from Rust's `str` order only when a character ≥ U+E000 meets a supplementary-plane
/// character (UTF-16 puts surrogates, 0xD800–0xDFFF, below U+E000).
pub fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A Java `TreeSet<String>`: distinct strings kept in [`java_cmp`] order.
#[derive(Debug, Default)]
struct JavaSet(Vec<String>);

impl JavaSet {
    /// Add `s`; false if it was already present.
    fn insert(&mut self, s: &str) -> bool {
        match self.0.binary_search_by(|probe| java_cmp(probe, s)) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, s.to_owned());
                true
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Value at a path of keys; a missing key or a non-object on the way reads as missing.
fn get<'a>(m: &'a Map, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = m.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        get(v.as_object()?, rest)
    }
}

/// The string at `path`, if it is one (used for conditions, which never fail).
fn get_str<'a>(m: &'a Map, path: &[&str]) -> Option<&'a str> {
    get(m, path)?.as_str()
}

/// Offer `v` to `set`. True only if it was added; missing, `null` and `""` are skipped; a value
/// of any other non-string type fails the step. `what` names the value in the error message.
fn offer(set: &mut JavaSet, v: Option<&Value>, what: &dyn Fn() -> String) -> Result<bool, String> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s.is_empty() => Ok(false),
        Some(Value::String(s)) => Ok(set.insert(s)),
        Some(other) => Err(format!(
            "cannot read [{}] as a string: got {}",
            what(),
            other.type_name()
        )),
    }
}

/// The list at `v` (missing or `null` = empty); any other type fails the step.
fn list<'a>(v: Option<&'a Value>, what: &dyn Fn() -> String) -> Result<&'a [Value], String> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!(
            "cannot read [{}] as a list: got {}",
            what(),
            other.type_name()
        )),
    }
}

/// A list element whose members are read: must be an object.
fn element<'a>(v: &'a Value, what: &dyn Fn() -> String) -> Result<&'a Map, String> {
    v.as_object().ok_or_else(|| {
        format!(
            "cannot read a member of a [{}] element: got {}",
            what(),
            v.type_name()
        )
    })
}

fn dotted(path: &[&str]) -> String {
    path.join(".")
}

/// Which set an addition goes to.
#[derive(Clone, Copy)]
enum To {
    Related,
    Target,
}

struct Extraction<'a> {
    j: &'a Map,
    related: JavaSet,
    target: JavaSet,
}

impl<'a> Extraction<'a> {
    fn set(&mut self, to: To) -> &mut JavaSet {
        match to {
            To::Related => &mut self.related,
            To::Target => &mut self.target,
        }
    }

    /// *each* add of the value at `path` under `J`.
    fn each(&mut self, to: To, path: &[&str]) -> Result<(), String> {
        let v = get(self.j, path);
        offer(self.set(to), v, &|| dotted(path))?;
        Ok(())
    }

    /// *each* add of the values at several paths under `J`.
    fn each_all(&mut self, to: To, paths: &[&[&str]]) -> Result<(), String> {
        for p in paths {
            self.each(to, p)?;
        }
        Ok(())
    }

    /// *each* add of `member` of every element of the list at `list_path` under `J`.
    fn each_member(&mut self, to: To, list_path: &[&str], member: &[&str]) -> Result<(), String> {
        let what = || format!("{}[]", dotted(list_path));
        for el in list(get(self.j, list_path), &|| dotted(list_path))? {
            let el = element(el, &what)?;
            let v = get(el, member);
            offer(self.set(to), v, &|| {
                format!("{}.{}", what(), dotted(member))
            })?;
        }
        Ok(())
    }

    /// *each* add of every element of the list (of strings) at `list_path` under `J`.
    fn each_item(&mut self, to: To, list_path: &[&str]) -> Result<(), String> {
        let what = || format!("{}[]", dotted(list_path));
        for v in list(get(self.j, list_path), &|| dotted(list_path))? {
            offer(self.set(to), Some(v), &what)?;
        }
        Ok(())
    }

    /// *seq* add of `members` of the object `m`: stops at the first value not added.
    fn seq_members(
        &mut self,
        to: To,
        m: &Map,
        members: &[&[&str]],
        what: &dyn Fn() -> String,
    ) -> Result<(), String> {
        for member in members {
            let v = get(m, member);
            if !offer(self.set(to), v, &|| {
                format!("{}.{}", what(), dotted(member))
            })? {
                break;
            }
        }
        Ok(())
    }

    /// *seq* add of the elements of the list (of strings) at `list_path` under `J`.
    fn seq_items(&mut self, to: To, list_path: &[&str]) -> Result<(), String> {
        let what = || format!("{}[]", dotted(list_path));
        for v in list(get(self.j, list_path), &|| dotted(list_path))? {
            if !offer(self.set(to), Some(v), &what)? {
                break;
            }
        }
        Ok(())
    }

    /// The account id (`J.recipientAccountId`) as a target.
    fn acct(&mut self) -> Result<(), String> {
        self.each(To::Target, &["recipientAccountId"])
    }

    /// Actor and the seeding of `related`. Returns the actor value (type-checked in `finish`).
    fn seed(&mut self) -> Result<Option<&'a Value>, String> {
        let j = self.j;
        let actor = get(j, &["userIdentity", "arn"])
            .filter(|v| !v.is_null())
            .or_else(|| get(j, &["userIdentity", "onBehalfOf", "userId"]));
        self.each_all(
            To::Related,
            &[
                &["userIdentity", "accessKeyId"],
                &["userIdentity", "arn"],
                &["userIdentity", "userName"],
                &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
                &[
                    "userIdentity",
                    "sessionContext",
                    "sessionIssuer",
                    "userName",
                ],
            ],
        )?;
        if get_str(j, &["userIdentity", "type"]) == Some("IdentityCenterUser") {
            self.each(
                To::Related,
                &["userIdentity", "onBehalfOf", "identityStoreArn"],
            )?;
        }
        self.each_member(To::Related, &["resources"], &["ARN"])?;
        Ok(actor)
    }

    /// The per-service table of §2.2.
    fn per_service(&mut self, actor: &mut Option<&'a Value>) -> Result<(), String> {
        let j = self.j;
        let Some(source) = get_str(j, &["eventSource"]) else {
            return Ok(());
        };
        let Some(service) = source.strip_suffix(".amazonaws.com") else {
            return Ok(());
        };
        let event_value = get(j, &["eventName"]);
        // Exact-name rows compare with `==`, which is simply false for a non-string name.
        let name = event_value.and_then(Value::as_str).unwrap_or_default();
        let is = |names: &[&str]| !name.is_empty() && names.contains(&name);
        use To::{Related as R, Target as T};
        match service {
            "cloudformation" => {
                if is(&["CreateStackSet"]) {
                    self.each(T, &[RESP, "stackSetId"])?;
                } else if is(&["CreateStack"]) {
                    self.each(T, &[RESP, "stackId"])?;
                }
            }
            "cloudtrail" => {
                self.each_all(
                    R,
                    &[
                        &[REQ, "name"],
                        &[REQ, "s3BucketName"],
                        &[RESP, "cloudWatchLogsLogGroupArn"],
                        &[RESP, "cloudWatchLogsRoleArn"],
                        &[RESP, "kmsKeyId"],
                        &[RESP, "snsTopicARN"],
                        &[RESP, "trailARN"],
                        &[RESP, "name"],
                    ],
                )?;
                if is(&["DeleteTrail", "StopLogging"]) {
                    self.each(T, &[REQ, "name"])?;
                } else if is(&["DescribeTrails"]) {
                    self.acct()?;
                }
            }
            "config" => {
                self.each(R, &[REQ, "configurationRecorderName"])?;
                if is(&["StopConfigurationRecorder", "StartConfigurationRecorder"]) {
                    self.each(T, &[REQ, "configurationRecorderName"])?;
                }
            }
            "ec2-instance-connect"
                if is(&["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"]) =>
            {
                self.each(T, &[REQ, "instanceId"])?;
            }
            "ec2" => self.ec2(&is)?,
            "elasticfilesystem" => {
                if is(&["DeleteFileSystem"]) {
                    self.each(T, &[REQ, "fileSystemId"])?;
                } else if is(&["DeleteMountTarget"]) {
                    self.each(T, &[REQ, "mountTargetId"])?;
                }
            }
            "events" if is(&["DeleteRule"]) => {
                self.each(T, &[REQ, "name"])?;
            }
            "guardduty" => {
                self.each_all(R, &[&[REQ, "detectorId"], &[RESP, "detectorId"]])?;
                if is(&["CreateDetector"]) {
                    self.each(T, &[RESP, "detectorId"])?;
                } else if is(&["DeleteDetector"]) {
                    self.each(T, &[REQ, "detectorId"])?;
                }
            }
            "iam" => self.iam(&is)?,
            "kms" => {
                self.each_all(
                    R,
                    &[
                        &[REQ, "keyId"],
                        &[RESP, "keyId"],
                        &[RESP, "keyMetadata", "arn"],
                        &[RESP, "keyMetadata", "keyId"],
                    ],
                )?;
                if is(&["DisableKey", "ScheduleKeyDeletion"]) {
                    self.each_member(T, &["resources"], &["ARN"])?;
                }
            }
            "lambda" => {
                self.each_all(
                    R,
                    &[
                        &[REQ, "functionName"],
                        &[RESP, "functionArn"],
                        &[RESP, "functionName"],
                        &[RESP, "role"],
                    ],
                )?;
                self.seq_items(R, &[RESP, "vpcConfig", "securityGroupIds"])?;
                self.seq_items(R, &[RESP, "vpcConfig", "subnetIds"])?;
                // Lambda event names carry version suffixes, hence *contains*.
                let name = match event_value {
                    None | Some(Value::Null) => "",
                    Some(Value::String(s)) => s,
                    Some(other) => {
                        return Err(format!(
                            "cannot read [eventName] as a string: got {}",
                            other.type_name()
                        ));
                    }
                };
                if name.contains("AddPermission") {
                    self.each(T, &[REQ, "functionName"])?;
                } else if name.contains("ListFunctions") {
                    self.acct()?;
                }
            }
            "logs" => {
                if is(&["DeleteLogGroup"]) {
                    self.each(T, &[REQ, "logGroupName"])?;
                } else if is(&["DeleteLogStream"]) {
                    self.each(T, &[REQ, "logStreamName"])?;
                }
            }
            "monitoring" if is(&["DeleteAlarms"]) => {
                self.each_item(T, &[REQ, "alarmNames"])?;
            }
            "rds" => self.rds(&is)?,
            "rolesanywhere" if is(&["CreateTrustAnchor"]) => {
                self.each(T, &[RESP, "trustAnchor", "trustAnchorArn"])?;
            }
            "route53resolver" if is(&["DeleteResolverQueryLogConfig"]) => {
                self.each(T, &[RESP, "resolverQueryLogConfig", "arn"])?;
            }
            "s3" => {
                self.each(R, &[REQ, "bucketName"])?;
                if is(&[
                    "CopyObject",
                    "PutBucketLogging",
                    "PutBucketVersioning",
                    "PutObject",
                    "GetBucketPolicy",
                    "ListObjects",
                    "HeadObject",
                    "GetObject",
                    "DeleteObject",
                    "DeleteBucket",
                ]) {
                    self.each_member(T, &["resources"], &["ARN"])?;
                } else if is(&["PutBucketReplication"]) {
                    self.each_member(T, &["resources"], &["ARN"])?;
                    self.each(
                        T,
                        &[
                            REQ,
                            "ReplicationConfiguration",
                            "Rule",
                            "Destination",
                            "Bucket",
                        ],
                    )?;
                } else if is(&["ListBuckets"]) {
                    self.acct()?;
                }
            }
            "secretsmanager" => {
                if is(&["BatchGetSecretValue"]) {
                    self.each_item(T, &[REQ, "secretIdList"])?;
                } else if is(&["GetSecretValue"]) {
                    self.each(T, &[REQ, "secretId"])?;
                }
            }
            "signin" if is(&["ConsoleLogin"]) => {
                self.acct()?;
            }
            "ssm" => self.ssm(&is)?,
            "sts" => {
                self.each_all(
                    R,
                    &[
                        &[REQ, "roleArn"],
                        &["sourceIdentity"],
                        &["additionalEventData", "MFAIdentifier"],
                        &[RESP, "assumedRoleUser", "arn"],
                        &[REQ, "roleSessionName"],
                        &[RESP, "accessKeyId"],
                    ],
                )?;
                if is(&["AssumeRole"]) {
                    self.each(T, &[REQ, "roleArn"])?;
                    let actor_path: &[&str] = match get_str(j, &["userIdentity", "type"]) {
                        Some("AWSService") => &["userIdentity", "invokedBy"],
                        Some("AssumedRole") => {
                            &["userIdentity", "sessionContext", "sessionIssuer", "arn"]
                        }
                        _ => &["userIdentity", "arn"],
                    };
                    *actor = get(j, actor_path);
                } else if is(&["GetCallerIdentity"]) {
                    self.acct()?;
                    *actor = get(j, &["userIdentity", "arn"]);
                }
            }
            "wafv2" => {
                self.each_all(R, &[&[REQ, "id"], &[RESP, "summary"]])?;
                if is(&["DeleteRuleGroup", "DeleteWebACL"]) {
                    self.each(T, &[REQ, "id"])?;
                }
            }
            "sns" => {
                if is(&["CreateTopic"]) {
                    self.each(T, &[RESP, "topicArn"])?;
                } else if is(&["Subscribe", "Publish"]) {
                    self.each(T, &[REQ, "topicArn"])?;
                }
            }
            "bedrock" if is(&["Converse"]) => {
                self.each(T, &[REQ, "modelId"])?;
            }
            "elasticloadbalancing" if is(&["DescribeLoadBalancers"]) => {
                self.acct()?;
            }
            "dynamodb" if is(&["ListTables"]) => {
                self.acct()?;
            }
            _ => {}
        }
        Ok(())
    }

    fn ec2(&mut self, is: &dyn Fn(&[&str]) -> bool) -> Result<(), String> {
        use To::{Related as R, Target as T};
        let j = self.j;
        self.each_all(
            R,
            &[
                &[REQ, "groupId"],
                &[REQ, "groupName"],
                &[REQ, "roleName"],
                &[REQ, "subnetId"],
                &[REQ, "volumeId"],
                &[REQ, "networkInterfaceId"],
                &[REQ, "vpcId"],
                &[REQ, "snapshotId"],
                &[RESP, "groupId"],
                &[RESP, "reservationId"],
                &[RESP, "vpc", "vpcId"],
                &[RESP, "vpc", "dhcpOptionsId"],
                &[RESP, "snapshotId"],
                &[RESP, "volumeId"],
            ],
        )?;
        let rules = [RESP, "securityGroupRuleSet", "items"];
        let what = || format!("{}[]", dotted(&rules));
        for item in list(get(j, &rules), &|| dotted(&rules))? {
            let item = element(item, &what)?;
            self.seq_members(
                R,
                item,
                &[
                    &["groupId"],
                    &["referencedGroupInfo", "groupId"],
                    &["securityGroupRuleId"],
                ],
                &what,
            )?;
        }
        self.each_member(R, &[RESP, "groupSet", "items"], &["groupId"])?;
        self.each_member(R, &[REQ, "groupSet", "items"], &["groupId"])?;
        self.each_member(R, &[REQ, "instancesSet", "items"], &["instanceId"])?;
        let instances = [RESP, "instancesSet", "items"];
        let what = || format!("{}[]", dotted(&instances));
        for inst in list(get(j, &instances), &|| dotted(&instances))? {
            let inst = element(inst, &what)?;
            self.seq_members(
                R,
                inst,
                &[
                    &["subnetId"],
                    &["vpcId"],
                    &["instanceId"],
                    &["imageId"],
                    &["iamInstanceProfile", "arn"],
                ],
                &what,
            )?;
            let nis = ["networkInterfaceSet", "items"];
            let what_ni = || format!("{}.{}[]", what(), dotted(&nis));
            for ni in list(get(inst, &nis), &|| format!("{}.{}", what(), dotted(&nis)))? {
                let ni = element(ni, &what_ni)?;
                self.seq_members(
                    R,
                    ni,
                    &[&["networkInterfaceId"], &["vpcId"], &["subnetId"]],
                    &what_ni,
                )?;
                let groups = ["groupSet", "items"];
                let what_g = || format!("{}.{}[]", what_ni(), dotted(&groups));
                for g in list(get(ni, &groups), &|| {
                    format!("{}.{}", what_ni(), dotted(&groups))
                })? {
                    let g = element(g, &what_g)?;
                    offer(&mut self.related, g.get("groupId"), &|| {
                        format!("{}.groupId", what_g())
                    })?;
                }
            }
        }
        let revoked = [REQ, "revokedSecurityGroupRuleSet", "items"];
        let what = || format!("{}[]", dotted(&revoked));
        for item in list(get(j, &revoked), &|| dotted(&revoked))? {
            let item = element(item, &what)?;
            self.seq_members(R, item, &[&["securityGroupRuleId"], &["groupId"]], &what)?;
        }

        if is(&[
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
        ]) {
            self.each(T, &[REQ, "groupId"])?;
            self.each_member(
                T,
                &[RESP, "securityGroupRuleSet", "items"],
                &["securityGroupRuleId"],
            )?;
        } else if is(&["CreateTrafficMirrorFilter"]) {
            self.each(
                T,
                &[
                    RESP,
                    "CreateTrafficMirrorFilterResponse",
                    "trafficMirrorFilter",
                    "trafficMirrorFilterId",
                ],
            )?;
        } else if is(&["CreateTrafficMirrorFilterRule"]) {
            self.each(
                T,
                &[
                    RESP,
                    "CreateTrafficMirrorFilterRuleResponse",
                    "trafficMirrorFilterRule",
                    "trafficMirrorFilterRuleId",
                ],
            )?;
        } else if is(&["CreateTrafficMirrorSession"]) {
            self.each(
                T,
                &[
                    RESP,
                    "CreateTrafficMirrorSessionResponse",
                    "trafficMirrorSession",
                    "trafficMirrorSessionId",
                ],
            )?;
        } else if is(&["CreateTrafficMirrorTarget"]) {
            self.each(
                T,
                &[
                    RESP,
                    "CreateTrafficMirrorTargetResponse",
                    "trafficMirrorTarget",
                    "trafficMirrorTargetId",
                ],
            )?;
        } else if is(&["DeleteFlowLogs"]) {
            self.each(T, &[REQ, "DeleteFlowLogsRequest", "FlowLogId", "content"])?;
        } else if is(&["DeleteNetworkAcl"]) {
            self.each(T, &[REQ, "networkAclId"])?;
        } else if is(&["DeleteNetworkAclEntry"]) {
            self.each(T, &[REQ, "networkAclId"])?;
            // The reference converts the rule number (a JSON number) to its string form.
            let rule = get(j, &[REQ, "ruleNumber"]).map(|v| Value::String(string_form(v)));
            offer(&mut self.target, rule.as_ref(), &|| {
                dotted(&[REQ, "ruleNumber"])
            })?;
        } else if is(&["GetPasswordData"]) {
            self.each(T, &[REQ, "instanceId"])?;
        } else if is(&["ModifyImageAttribute"]) {
            self.each(T, &[REQ, "imageId"])?;
        } else if is(&["ModifySnapshotAttribute"]) {
            self.each(T, &[REQ, "snapshotId"])?;
        } else if is(&[
            "DescribeSecurityGroups",
            "DescribeNetworkInterfaces",
            "DescribeRegions",
            "DescribeVpcs",
            "DescribeNetworkAcls",
            "DescribeVolumes",
        ]) {
            self.acct()?;
        }
        Ok(())
    }

    fn iam(&mut self, is: &dyn Fn(&[&str]) -> bool) -> Result<(), String> {
        use To::{Related as R, Target as T};
        self.each_all(
            R,
            &[
                &[REQ, "userName"],
                &[REQ, "serialNumber"],
                &[REQ, "accessKeyId"],
                &[REQ, "policyArn"],
                &[REQ, "roleName"],
                &[REQ, "policyName"],
                &[RESP, "accessKey", "userName"],
                &[RESP, "accessKey", "accessKeyId"],
                &[RESP, "user", "arn"],
                &[RESP, "user", "userId"],
                &[RESP, "user", "userName"],
                &[RESP, "userId"],
                &[RESP, "role", "arn"],
                &[RESP, "serialNumber"],
            ],
        )?;
        if is(&["AttachGroupPolicy"]) {
            self.each(T, &[REQ, "groupName"])?;
        } else if is(&[
            "AttachRolePolicy",
            "ListAttachedRolePolicies",
            "UpdateAssumeRolePolicy",
        ]) {
            self.each(T, &[REQ, "roleName"])?;
        } else if is(&["AttachUserPolicy"]) {
            self.each_all(T, &[&[REQ, "policyArn"], &[REQ, "userName"]])?;
        } else if is(&["CreateAccessKey"]) {
            self.each_all(
                T,
                &[&[RESP, "accessKey", "accessKeyId"], &[REQ, "userName"]],
            )?;
        } else if is(&["CreateUser", "DeactivateMFADevice"]) {
            self.each(T, &[REQ, "userName"])?;
        } else if is(&["DeleteVirtualMFADevice"]) {
            self.each(T, &[REQ, "serialNumber"])?;
        } else if is(&["GetPolicy"]) {
            self.each(T, &[REQ, "policyArn"])?;
        } else if is(&["CreatePolicy"]) {
            self.each(T, &[RESP, "policy", "arn"])?;
        } else if is(&["ListRoles", "ListUsers"]) {
            self.acct()?;
        }
        Ok(())
    }

    fn rds(&mut self, is: &dyn Fn(&[&str]) -> bool) -> Result<(), String> {
        use To::{Related as R, Target as T};
        self.each_all(
            R,
            &[
                &[REQ, "dBInstanceIdentifier"],
                &[REQ, "dBInstanceArn"],
                &[RESP, "dBInstanceIdentifier"],
                // Lower-case `b` as in the reference (⚑): the real `dBInstanceArn` is missed here.
                &[RESP, "dbInstanceArn"],
                &[RESP, "dBSubnetGroup", "vpcId"],
                &[RESP, "vpcSecurityGroups", "vpcSecurityGroupId"],
            ],
        )?;
        self.each_member(
            R,
            &[RESP, "dBSubnetGroup", "subnets"],
            &["subnetIdentifier"],
        )?;
        self.each_member(R, &[RESP, "vpcSecurityGroups"], &["vpcSecurityGroupId"])?;
        if is(&["DeleteDBCluster", "ModifyDBCluster", "StopDBCluster"]) {
            self.each(T, &[RESP, "dBClusterArn"])?;
        } else if is(&[
            "DeleteDBInstance",
            "ModifyDBInstance",
            "RestoreDBInstanceFromDBSnapshot",
            "RestoreDBInstanceFromS3",
            "StopDBInstance",
        ]) {
            self.each(T, &[RESP, "dBInstanceArn"])?;
        } else if is(&["DeleteGlobalCluster"]) {
            self.each(T, &[RESP, "globalClusterArn"])?;
        } else if is(&["ModifyDBClusterSnapshotAttribute"]) {
            self.each(T, &[RESP, "dBClusterSnapshotIdentifier"])?;
        } else if is(&["ModifyDBSnapshotAttribute"]) {
            self.each(T, &[RESP, "dBSnapshotIdentifier"])?;
        } else if is(&["DescribeDBInstances"]) {
            self.acct()?;
        }
        Ok(())
    }

    fn ssm(&mut self, is: &dyn Fn(&[&str]) -> bool) -> Result<(), String> {
        use To::Target as T;
        if is(&[
            "GetParameter",
            "GetParameters",
            "CreateControlChannel",
            "OpenControlChannel",
        ]) {
            self.each_member(T, &["resources"], &["ARN"])?;
        } else if is(&["StartSession"]) {
            self.each(T, &[REQ, "target"])?;
        } else if is(&["CreateDocument"]) {
            self.each(T, &[REQ, "name"])?;
        } else if is(&["TerminateSession", "OpenDataChannel"]) {
            self.each(T, &[REQ, "sessionId"])?;
        } else if is(&["SendCommand"]) {
            self.send_command()?;
        } else if is(&["ListInstanceAssociations"]) {
            self.acct()?;
        }
        Ok(())
    }

    /// SSM `SendCommand`: `instanceIds[]`, else every `targets[].values[]`; a lone `"*"` means
    /// the account; then *seq* into `target`.
    fn send_command(&mut self) -> Result<(), String> {
        let j = self.j;
        let ids_path = [REQ, "instanceIds"];
        let mut picked: Vec<(Option<&Value>, String)> =
            list(get(j, &ids_path), &|| dotted(&ids_path))?
                .iter()
                .map(|v| (Some(v), format!("{}[]", dotted(&ids_path))))
                .collect();
        if picked.is_empty() {
            let targets_path = [REQ, "targets"];
            let what = || format!("{}[]", dotted(&targets_path));
            for t in list(get(j, &targets_path), &|| dotted(&targets_path))? {
                let t = element(t, &what)?;
                let values = match t.get("values") {
                    None | Some(Value::Null) => {
                        return Err(format!("[{}] element has no [values]", what()));
                    }
                    v => v,
                };
                let what_v = || format!("{}.values", what());
                for v in list(values, &what_v)? {
                    picked.push((Some(v), format!("{}[]", what_v())));
                }
            }
        }
        if let [(Some(Value::String(only)), _)] = picked.as_slice()
            && only == "*"
        {
            picked = vec![(j.get("recipientAccountId"), "recipientAccountId".into())];
        }
        for (v, what) in &picked {
            if !offer(&mut self.target, *v, &|| what.clone())? {
                break;
            }
        }
        Ok(())
    }

    /// Classify targets and the actor, and build the outputs (only after every read).
    fn finish(mut self, actor: Option<&Value>) -> Result<Vec<(&'static str, Value)>, String> {
        let actor = match actor {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                return Err(format!(
                    "cannot read the actor as a string: got {}",
                    other.type_name()
                ));
            }
        };
        let mut out: Vec<(&'static str, Value)> = Vec::new();
        if !self.target.is_empty() {
            let mut by_class: [Vec<&str>; 4] = Default::default();
            let mut host_ids = JavaSet::default();
            for t in self.target.iter() {
                let class = classify_target(t);
                if class == TargetClass::Host
                    && let Some(id) = host_target_id(t)
                {
                    host_ids.insert(id);
                }
                by_class[class as usize].push(t);
            }
            out.push(("target.entity.id", Value::str_array(self.target.iter())));
            let [user, host, service, generic] = by_class;
            for (field, ids) in [
                ("user.target.entity.id", user),
                ("host.target.entity.id", host),
                ("service.target.entity.id", service),
                ("entity.target.id", generic),
            ] {
                if !ids.is_empty() {
                    out.push((field, Value::str_array(ids)));
                }
            }
            if !host_ids.is_empty() {
                out.push(("host.target.id", Value::str_array(host_ids.iter())));
            }
            for t in &self.target.0 {
                self.related.insert(t);
            }
        }
        if let Some(actor) = actor {
            out.push(("actor.entity.id", Value::str_array([actor])));
            let kind = get_str(self.j, &["userIdentity", "type"]);
            out.push((classify_actor(actor, kind), Value::str_array([actor])));
        }
        if !self.related.is_empty() {
            out.push(("related.entity", Value::str_array(self.related.iter())));
        }
        Ok(out)
    }
}

/// Java `String.valueOf` of a parsed JSON value, for `ruleNumber`.
fn string_form(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        // Jackson reads integer literals as Integer/Long/BigInteger, whose toString is the
        // canonical decimal: only `-0` differs from the literal.
        Value::Number(n) if n.is_integer() && n.as_str() == "-0" => "0".to_owned(),
        Value::Number(n) if n.is_integer() => n.as_str().to_owned(),
        Value::Bool(b) => b.to_string(),
        other => crate::json::java::to_java_string(other),
    }
}

/// Target classes; the discriminant indexes the per-class output lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TargetClass {
    User = 0,
    Host = 1,
    Service = 2,
    Generic = 3,
}

const SERVICE_ROLE_MARKERS: [&str; 2] = ["/AWSServiceRoleFor", "/aws-service-role/"];

const USER_TYPES: [&str; 7] = [
    "user",
    "role",
    "assumed-role",
    "federated-user",
    "instance-profile",
    "mfa",
    "serialNumber",
];

const SERVICE_TYPES: [&str; 37] = [
    "stack",
    "stack-set",
    "trail",
    "configuration-recorder",
    "file-system",
    "mount-target",
    "rule",
    "detector",
    "key",
    "function",
    "log-group",
    "log-stream",
    "alarm",
    "db",
    "cluster",
    "global-cluster",
    "trust-anchor",
    "resolver-query-log-config",
    "secret",
    "parameter",
    "document",
    "session",
    "webacl",
    "rulegroup",
    "ipset",
    "topic",
    "model",
    "loadbalancer",
    "table",
    "group",
    "policy",
    "security-group",
    "network-interface",
    "vpc",
    "subnet",
    "network-acl",
    "dhcp-options",
];

const SERVICE_ID_PREFIXES: [&str; 12] = [
    "sg-", "sgr-", "eni-", "vpc-", "subnet-", "acl-", "rtb-", "igw-", "nat-", "vpce-", "tgw-",
    "pcx-",
];

/// The `:`-separated parts of an ARN with at least 6 parts (empty parts kept).
fn arn_parts(s: &str) -> Option<Vec<&str>> {
    if !s.starts_with("arn:") {
        return None;
    }
    let parts: Vec<&str> = s.split(':').collect();
    (parts.len() >= 6).then_some(parts)
}

/// Resource type of an ARN's part 6: up to the first `/`, unless there is none or it is first.
fn resource_type(part6: &str) -> &str {
    match part6.find('/') {
        Some(i) if i > 0 => &part6[..i],
        _ => part6,
    }
}

fn classify_target(t: &str) -> TargetClass {
    if t.starts_with("arn:") {
        let Some(parts) = arn_parts(t) else {
            return TargetClass::Generic;
        };
        let rtype = resource_type(parts[5]);
        if SERVICE_ROLE_MARKERS.iter().any(|m| t.contains(m)) {
            TargetClass::Service
        } else if USER_TYPES.contains(&rtype) {
            TargetClass::User
        } else if rtype == "instance" {
            TargetClass::Host
        } else if SERVICE_TYPES.contains(&rtype) || parts[2] == "s3" {
            TargetClass::Service
        } else {
            TargetClass::Generic
        }
    } else if t.starts_with("AKIA") && t.encode_utf16().count() == 20 {
        TargetClass::User
    } else if t.starts_with("i-") {
        TargetClass::Host
    } else if SERVICE_ID_PREFIXES.iter().any(|p| t.starts_with(p)) {
        TargetClass::Service
    } else {
        TargetClass::Generic
    }
}

/// The bare EC2 instance id of a host target (9.0.0 `host.target.id`).
fn host_target_id(t: &str) -> Option<&str> {
    let id = if t.starts_with("arn:") {
        let parts = arn_parts(t)?;
        if parts[2] != "ec2" {
            return None;
        }
        parts[5].strip_prefix("instance/")?
    } else {
        t
    };
    id.starts_with("i-").then_some(id)
}

/// Output field for the actor (first match wins), using the raw `userIdentity.type`.
fn classify_actor(actor: &str, kind: Option<&str>) -> &'static str {
    if kind == Some("AWSService") || SERVICE_ROLE_MARKERS.iter().any(|m| actor.contains(m)) {
        return "service.entity.id";
    }
    if matches!(kind, Some("IAMUser" | "Root" | "AssumedRole")) {
        return "user.entity.id";
    }
    if let Some(parts) = arn_parts(actor) {
        match resource_type(parts[5]) {
            "user" | "role" | "assumed-role" | "federated-user" => return "user.entity.id",
            "instance" => return "host.entity.id",
            _ => {}
        }
    }
    if actor.starts_with("i-") {
        "host.entity.id"
    } else {
        "entity.id"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(text: &str) -> Value {
        crate::json::parse::parse(text, &Default::default()).expect("valid JSON")
    }

    /// Test-side pre-clean (§2.1 #6): bottom-up removal of null, "", "-", "none", {} and [].
    fn pre_clean(v: &mut Value) {
        fn drop(v: &Value) -> bool {
            match v {
                Value::Null => true,
                Value::String(s) => matches!(s.as_str(), "" | "-" | "none"),
                Value::Object(m) => m.is_empty(),
                Value::Array(a) => a.is_empty(),
                _ => false,
            }
        }
        match v {
            Value::Object(m) => m.retain(|_, child| {
                pre_clean(child);
                !drop(child)
            }),
            Value::Array(a) => a.retain_mut(|child| {
                pre_clean(child);
                !drop(child)
            }),
            _ => {}
        }
    }

    fn record(text: &str) -> Map {
        let mut v = parse_json(text);
        pre_clean(&mut v);
        match v {
            Value::Object(m) => m,
            other => panic!("test record is not an object: {other:?}"),
        }
    }

    fn run(text: &str) -> Result<Map, String> {
        let mut out = Map::new();
        for (field, value) in extract(&record(text))? {
            assert!(!out.has_field(field), "{field} produced twice");
            out.set_field(field, value);
        }
        Ok(out)
    }

    fn strings(out: &Map, field: &str) -> Option<Vec<String>> {
        let arr = out.get_field(field)?.as_array()?;
        Some(
            arr.iter()
                .map(|v| v.as_str().expect("string element").to_owned())
                .collect(),
        )
    }

    fn svec(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| (*s).to_owned()).collect())
    }

    const ENTITY_FIELDS: [&str; 12] = [
        "related.entity",
        "actor.entity.id",
        "user.entity.id",
        "service.entity.id",
        "host.entity.id",
        "entity.id",
        "target.entity.id",
        "user.target.entity.id",
        "host.target.entity.id",
        "service.target.entity.id",
        "entity.target.id",
        "host.target.id",
    ];

    #[test]
    fn elastic_fixtures_match_every_entity_field() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/conformance/elastic");
        if !dir.is_dir() {
            eprintln!("skipping: ../shared not found");
            return;
        }
        let common =
            std::fs::read_to_string(dir.join("test-common-config.yml")).expect("common config");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("test-") && n.ends_with(".log"))
            .collect();
        names.sort();
        let mut failures = Vec::new();
        let mut checked_docs = 0;
        for name in &names {
            let log = std::fs::read_to_string(dir.join(name)).expect("fixture log");
            let expected = parse_json(
                &std::fs::read_to_string(dir.join(format!("{name}-expected.json")))
                    .expect("expected file"),
            );
            let docs = expected
                .get_path(&["expected"])
                .and_then(Value::as_array)
                .expect("expected list");
            let config = std::fs::read_to_string(dir.join(format!("{name}-config.yml")))
                .unwrap_or_else(|_| common.clone());
            let mapping_on = config.contains("actor_target_mapping");
            let body = log.strip_suffix('\n').unwrap_or(&log);
            let lines: Vec<&str> = body
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .collect();
            assert_eq!(lines.len(), docs.len(), "{name}: line/doc count");
            for (i, (line, doc)) in lines.iter().zip(docs).enumerate() {
                let doc = doc.as_object().expect("expected doc is an object");
                let j = if line.trim().is_empty() {
                    Map::new()
                } else {
                    record(line)
                };
                let mut produced = Map::new();
                if mapping_on && j.contains_key("eventName") {
                    match extract(&j) {
                        Ok(fields) => {
                            for (f, v) in fields {
                                produced.set_field(f, v);
                            }
                        }
                        Err(e) => failures.push(format!("{name}#{i}: unexpected failure: {e}")),
                    }
                }
                for field in ENTITY_FIELDS {
                    let want = doc.get_field(field);
                    let got = produced.get_field(field);
                    if want != got {
                        failures.push(format!(
                            "{name}#{i} {field}: expected {want:?}, got {got:?}"
                        ));
                    }
                }
                checked_docs += 1;
            }
        }
        eprintln!(
            "entity fields checked in {checked_docs} documents of {} fixtures",
            names.len()
        );
        assert!(!names.is_empty(), "no fixtures found in {}", dir.display());
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    const IAM_USER: &str = r#""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111:user/alice","accessKeyId":"AKIAEXAMPLEEXAMPLE12","userName":"alice"}"#;

    #[test]
    fn seq_stops_at_first_missing_empty_or_present_value_and_restarts_per_item() {
        let out = run(&format!(
            r#"{{"eventName":"X","eventSource":"ec2.amazonaws.com",{IAM_USER},
            "requestParameters":{{"groupId":"sg-dup"}},
            "responseElements":{{"securityGroupRuleSet":{{"items":[
                {{"groupId":"sg-dup","referencedGroupInfo":{{"groupId":"sg-after-dup"}},"securityGroupRuleId":"sgr-after-dup"}},
                {{"referencedGroupInfo":{{"groupId":"sg-after-missing"}},"securityGroupRuleId":"sgr-after-missing"}},
                {{"groupId":"sg-new","referencedGroupInfo":{{"groupId":"sg-ref"}},"securityGroupRuleId":"sgr-full"}}
            ]}}}}}}"#
        ))
        .expect("extracts");
        let related = strings(&out, "related.entity").expect("related");
        for absent in [
            "sg-after-dup",
            "sgr-after-dup",
            "sg-after-missing",
            "sgr-after-missing",
        ] {
            assert!(
                !related.contains(&absent.to_owned()),
                "{absent} in {related:?}"
            );
        }
        for present in ["sg-dup", "sg-new", "sg-ref", "sgr-full"] {
            assert!(
                related.contains(&present.to_owned()),
                "{present} missing in {related:?}"
            );
        }
    }

    #[test]
    fn seq_over_a_list_stops_at_a_value_already_present() {
        let out = run(&format!(
            r#"{{"eventName":"CreateFunction20150331","eventSource":"lambda.amazonaws.com",{IAM_USER},
            "responseElements":{{"vpcConfig":{{"securityGroupIds":["sg-1","alice","sg-2"],"subnetIds":["subnet-1","subnet-2"]}}}}}}"#
        ))
        .expect("extracts");
        assert_eq!(
            strings(&out, "related.entity"),
            svec(&[
                "AKIAEXAMPLEEXAMPLE12",
                "alice",
                "arn:aws:iam::111:user/alice",
                "sg-1",
                "subnet-1",
                "subnet-2"
            ])
        );
    }

    #[test]
    fn each_adds_skip_duplicates_without_stopping() {
        let out = run(&format!(
            r#"{{"eventName":"X","eventSource":"ec2.amazonaws.com",{IAM_USER},
            "requestParameters":{{"instancesSet":{{"items":[{{"instanceId":"i-1"}},{{"instanceId":"i-1"}},{{"instanceId":"i-2"}}]}}}}}}"#
        ))
        .expect("extracts");
        let related = strings(&out, "related.entity").expect("related");
        assert!(related.contains(&"i-1".to_owned()) && related.contains(&"i-2".to_owned()));
    }

    #[test]
    fn java_order_compares_utf16_code_units() {
        // U+FFFD is one unit 0xFFFD; U+1F600 starts with the surrogate 0xD83D, so Java puts it first.
        assert_eq!(java_cmp("\u{FFFD}", "\u{1F600}"), Ordering::Greater);
        assert_eq!("\u{FFFD}".cmp("\u{1F600}"), Ordering::Less);
        assert_eq!(java_cmp("\u{E000}", "\u{10000}"), Ordering::Greater);
        assert_eq!(java_cmp("\u{D7FF}", "\u{10000}"), Ordering::Less);
        assert_eq!(java_cmp("B", "a"), Ordering::Less);
        assert_eq!(java_cmp("ab", "abc"), Ordering::Less);
        assert_eq!(java_cmp("same", "same"), Ordering::Equal);
    }

    #[test]
    fn related_entity_is_sorted_in_java_order() {
        let out = run(
            r#"{"eventName":"X","userIdentity":{"arn":"x-\uFFFD","userName":"x-\uD83D\uDE00","accessKeyId":"X-upper"}}"#,
        )
        .expect("extracts");
        assert_eq!(
            strings(&out, "related.entity"),
            svec(&["X-upper", "x-\u{1F600}", "x-\u{FFFD}"])
        );
    }

    #[test]
    fn targets_are_classified_by_the_arn_and_id_table() {
        use TargetClass::*;
        let cases: &[(&str, TargetClass)] = &[
            // service-linked roles win over the user types
            (
                "arn:aws:iam::1:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM",
                Service,
            ),
            ("arn:aws:iam::1:role/AWSServiceRoleForSupport", Service),
            ("arn:aws:iam::1:user/alice", User),
            ("arn:aws:iam::1:role/JohnRole2", User),
            ("arn:aws:sts::1:assumed-role/r/s", User),
            ("arn:aws:sts::1:federated-user/bob", User),
            ("arn:aws:iam::1:instance-profile/p", User),
            ("arn:aws:iam::1:mfa/dev", User),
            ("arn:aws:iam::1:serialNumber", User),
            ("arn:aws:ec2:us-east-1:1:instance/i-0abc", Host),
            ("arn:aws:ssm:us-east-1:1:instance/i-0abc", Host),
            ("arn:aws:rds:us-east-1:1:db:name", Service),
            ("arn:aws:ssm:us-east-1:1:parameter/app/key", Service),
            ("arn:aws:ec2:us-east-1:1:security-group/sg-1", Service),
            ("arn:aws:iam::1:policy/p", Service),
            ("arn:aws:s3:::bucket", Service),
            ("arn:aws:s3:::bucket/key.txt", Service),
            ("arn:aws:s3:::", Service),
            // a `/` at position 0 keeps the whole part as the type
            ("arn:aws:x:r:1:/user", Generic),
            ("arn:aws:ec2:us-east-1:1:image/ami-1", Generic),
            ("arn:aws:sns:us-east-1:1", Generic),
            ("arn:aws:iam::1", Generic),
            ("AKIAIOSFODNN7EXAMPLE", User),
            ("AKIAIOSFODNN7EXAMPLEX", Generic),
            ("ASIAIOSFODNN7EXAMPLE", Generic),
            ("i-0abc", Host),
            ("sg-1", Service),
            ("sgr-1", Service),
            ("eni-1", Service),
            ("vpc-1", Service),
            ("subnet-1", Service),
            ("acl-1", Service),
            ("rtb-1", Service),
            ("igw-1", Service),
            ("nat-1", Service),
            ("vpce-1", Service),
            ("tgw-1", Service),
            ("pcx-1", Service),
            ("123456789012", Generic),
            ("ami-1", Generic),
        ];
        for (target, class) in cases {
            assert_eq!(classify_target(target), *class, "{target}");
        }
    }

    #[test]
    fn host_target_id_keeps_bare_ids_and_ec2_instance_arn_ids() {
        let cases: &[(&str, Option<&str>)] = &[
            ("i-0abc", Some("i-0abc")),
            ("arn:aws:ec2:us-east-1:1:instance/i-0abc", Some("i-0abc")),
            ("arn:aws:ssm:us-east-1:1:instance/i-0abc", None),
            ("arn:aws:ec2:us-east-1:1:instance", None),
            ("arn:aws:ec2:us-east-1:1:instance/mi-0abc", None),
            (
                "arn:aws:ec2:us-east-1:1:instance/i-0abc:extra",
                Some("i-0abc"),
            ),
        ];
        for (target, id) in cases {
            assert_eq!(host_target_id(target), *id, "{target}");
        }
    }

    #[test]
    fn host_targets_fill_host_target_id_deduplicated() {
        let out = run(&format!(
            r#"{{"eventName":"SendCommand","eventSource":"ssm.amazonaws.com",{IAM_USER},
            "requestParameters":{{"instanceIds":["i-b","i-a"]}}}}"#
        ))
        .expect("extracts");
        assert_eq!(strings(&out, "target.entity.id"), svec(&["i-a", "i-b"]));
        assert_eq!(
            strings(&out, "host.target.entity.id"),
            svec(&["i-a", "i-b"])
        );
        assert_eq!(strings(&out, "host.target.id"), svec(&["i-a", "i-b"]));

        let out = run(&format!(
            r#"{{"eventName":"OpenControlChannel","eventSource":"ssm.amazonaws.com",{IAM_USER},
            "resources":[{{"ARN":"arn:aws:ec2:us-east-1:1:instance/i-a"}},{{"ARN":"arn:aws:ssm:us-east-1:1:instance/i-b"}}]}}"#
        ))
        .expect("extracts");
        assert_eq!(
            strings(&out, "host.target.entity.id"),
            svec(&[
                "arn:aws:ec2:us-east-1:1:instance/i-a",
                "arn:aws:ssm:us-east-1:1:instance/i-b"
            ])
        );
        assert_eq!(strings(&out, "host.target.id"), svec(&["i-a"]));
    }

    #[test]
    fn send_command_star_means_the_account_and_targets_values_are_concatenated() {
        let star = run(&format!(
            r#"{{"eventName":"SendCommand","eventSource":"ssm.amazonaws.com",{IAM_USER},"recipientAccountId":"123456789012",
            "requestParameters":{{"instanceIds":["*"]}}}}"#
        ))
        .expect("extracts");
        assert_eq!(strings(&star, "target.entity.id"), svec(&["123456789012"]));
        assert_eq!(strings(&star, "entity.target.id"), svec(&["123456789012"]));

        let star_no_acct = run(&format!(
            r#"{{"eventName":"SendCommand","eventSource":"ssm.amazonaws.com",{IAM_USER},
            "requestParameters":{{"targets":[{{"key":"instanceids","values":["*"]}}]}}}}"#
        ))
        .expect("extracts");
        assert_eq!(star_no_acct.get_field("target.entity.id"), None);

        let concatenated = run(&format!(
            r#"{{"eventName":"SendCommand","eventSource":"ssm.amazonaws.com",{IAM_USER},
            "requestParameters":{{"targets":[{{"key":"k","values":["i-1","i-2"]}},{{"key":"k","values":["i-1","i-3"]}}]}}}}"#
        ))
        .expect("extracts");
        // *seq*: the repeated i-1 stops the offering before i-3
        assert_eq!(
            strings(&concatenated, "target.entity.id"),
            svec(&["i-1", "i-2"])
        );
    }

    #[test]
    fn assume_role_actor_depends_on_the_identity_type() {
        let service = run(
            r#"{"eventName":"AssumeRole","eventSource":"sts.amazonaws.com",
            "userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},
            "requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"s"}}"#,
        )
        .expect("extracts");
        assert_eq!(
            strings(&service, "actor.entity.id"),
            svec(&["ec2.amazonaws.com"])
        );
        assert_eq!(
            strings(&service, "service.entity.id"),
            svec(&["ec2.amazonaws.com"])
        );
        assert_eq!(
            strings(&service, "user.target.entity.id"),
            svec(&["arn:aws:iam::1:role/R"])
        );
        assert_eq!(
            strings(&service, "related.entity"),
            svec(&["arn:aws:iam::1:role/R", "s"])
        );

        let assumed = run(
            r#"{"eventName":"AssumeRole","eventSource":"sts.amazonaws.com",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/I/s",
              "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/I"}}}}"#,
        )
        .expect("extracts");
        assert_eq!(
            strings(&assumed, "actor.entity.id"),
            svec(&["arn:aws:iam::1:role/I"])
        );
        assert_eq!(
            strings(&assumed, "user.entity.id"),
            svec(&["arn:aws:iam::1:role/I"])
        );

        // Outside AssumeRole the AssumedRole actor is the session ARN.
        let other = run(
            r#"{"eventName":"GetSessionToken","eventSource":"sts.amazonaws.com",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/I/s",
              "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/I"}}}}"#,
        )
        .expect("extracts");
        assert_eq!(
            strings(&other, "user.entity.id"),
            svec(&["arn:aws:sts::1:assumed-role/I/s"])
        );
    }

    #[test]
    fn get_caller_identity_targets_the_account_and_ignores_on_behalf_of() {
        let out = run(
            r#"{"eventName":"GetCallerIdentity","eventSource":"sts.amazonaws.com","recipientAccountId":"123456789012",
            "userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}}}"#,
        )
        .expect("extracts");
        assert_eq!(out.get_field("actor.entity.id"), None);
        assert_eq!(strings(&out, "entity.target.id"), svec(&["123456789012"]));
        assert_eq!(
            strings(&out, "related.entity"),
            svec(&["123456789012", "arn:aws:identitystore::1:identitystore/d-1"])
        );

        // Elsewhere onBehalfOf.userId is the fallback actor.
        let out = run(
            r#"{"eventName":"CreateGroup","eventSource":"iam.amazonaws.com",
            "userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}}"#,
        )
        .expect("extracts");
        assert_eq!(strings(&out, "actor.entity.id"), svec(&["u-1"]));
        assert_eq!(strings(&out, "entity.id"), svec(&["u-1"]));
    }

    #[test]
    fn actor_classification_follows_the_first_matching_rule() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("anything", Some("AWSService"), "service.entity.id"),
            (
                "arn:aws:sts::1:assumed-role/AWSServiceRoleForX/s",
                Some("AssumedRole"),
                "service.entity.id",
            ),
            (
                "arn:aws:iam::1:role/aws-service-role/x/y",
                None,
                "service.entity.id",
            ),
            ("arn:aws:iam::1:root", Some("Root"), "user.entity.id"),
            ("u-1", Some("IAMUser"), "user.entity.id"),
            ("arn:aws:iam::1:user/a", Some("SAMLUser"), "user.entity.id"),
            ("arn:aws:sts::1:federated-user/a", None, "user.entity.id"),
            ("arn:aws:ec2:r:1:instance/i-1", None, "host.entity.id"),
            ("arn:aws:s3:::bucket", None, "entity.id"),
            ("i-0abc", None, "host.entity.id"),
            ("someone", None, "entity.id"),
        ];
        for (actor, kind, field) in cases {
            assert_eq!(classify_actor(actor, *kind), *field, "{actor} {kind:?}");
        }
    }

    #[test]
    fn lambda_target_rule_matches_event_names_by_substring() {
        let out = run(&format!(
            r#"{{"eventName":"AddPermission20150331v2","eventSource":"lambda.amazonaws.com",{IAM_USER},
            "requestParameters":{{"functionName":"fn"}}}}"#
        ))
        .expect("extracts");
        assert_eq!(strings(&out, "entity.target.id"), svec(&["fn"]));
    }

    #[test]
    fn rule_number_is_converted_to_its_string_form() {
        for (literal, text) in [("100", "100"), ("\"7\"", "7"), ("-0", "0")] {
            let out = run(&format!(
                r#"{{"eventName":"DeleteNetworkAclEntry","eventSource":"ec2.amazonaws.com",{IAM_USER},
                "requestParameters":{{"networkAclId":"acl-1","ruleNumber":{literal}}}}}"#
            ))
            .expect("extracts");
            assert_eq!(
                strings(&out, "entity.target.id"),
                svec(&[text]),
                "{literal}"
            );
            assert_eq!(strings(&out, "service.target.entity.id"), svec(&["acl-1"]));
        }
    }

    #[test]
    fn rds_member_read_through_a_list_is_missing_not_a_failure() {
        let out = run(&format!(
            r#"{{"eventName":"X","eventSource":"rds.amazonaws.com",{IAM_USER},
            "responseElements":{{"vpcSecurityGroups":[{{"vpcSecurityGroupId":"sg-1"}}],"dBInstanceArn":"arn:aws:rds:r:1:db:d"}}}}"#
        ))
        .expect("extracts");
        let related = strings(&out, "related.entity").expect("related");
        assert!(related.contains(&"sg-1".to_owned()));
        // the related rule reads `dbInstanceArn` (lower-case b)
        assert!(!related.contains(&"arn:aws:rds:r:1:db:d".to_owned()));
    }

    #[test]
    fn typing_failures_are_errors() {
        let cases: &[(&str, &str)] = &[
            (
                r#""resources":"arn:aws:s3:::b""#,
                "cannot read [resources] as a list: got string",
            ),
            (
                r#""resources":["arn:aws:s3:::b"]"#,
                "cannot read a member of a [resources[]] element: got string",
            ),
            (
                r#""resources":[{"ARN":5}]"#,
                "cannot read [resources[].ARN] as a string: got number",
            ),
            (
                r#""eventSource":"ssm.amazonaws.com","eventName":"SendCommand","requestParameters":{"targets":[{"key":"k","values":[]}]}"#,
                "[requestParameters.targets[]] element has no [values]",
            ),
            (
                r#""eventSource":"ssm.amazonaws.com","eventName":"SendCommand","requestParameters":{"targets":[{"key":"k"}]}"#,
                "[requestParameters.targets[]] element has no [values]",
            ),
            (
                r#""eventSource":"ssm.amazonaws.com","eventName":"SendCommand","requestParameters":{"instanceIds":"i-1"}"#,
                "cannot read [requestParameters.instanceIds] as a list: got string",
            ),
            (
                r#""eventSource":"monitoring.amazonaws.com","eventName":"DeleteAlarms","requestParameters":{"alarmNames":[1]}"#,
                "cannot read [requestParameters.alarmNames[]] as a string: got number",
            ),
            (
                r#""eventSource":"iam.amazonaws.com","requestParameters":{"userName":{"a":1}}"#,
                "cannot read [requestParameters.userName] as a string: got object",
            ),
            (
                r#""eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","recipientAccountId":123"#,
                "cannot read [recipientAccountId] as a string: got number",
            ),
            (
                r#""eventSource":"lambda.amazonaws.com","eventName":7"#,
                "cannot read [eventName] as a string: got number",
            ),
        ];
        for (members, message) in cases {
            let text = format!(r#"{{"eventName":"X",{IAM_USER},{members}}}"#);
            // later duplicate keys (eventName) would be rejected by the parser: build by hand
            let text = if members.contains("\"eventName\"") {
                format!(r#"{{{IAM_USER},{members}}}"#)
            } else {
                text
            };
            assert_eq!(run(&text), Err((*message).to_owned()), "{members}");
        }
    }

    #[test]
    fn non_string_values_after_a_seq_stop_are_never_read() {
        let out = run(&format!(
            r#"{{"eventName":"X","eventSource":"lambda.amazonaws.com",{IAM_USER},
            "responseElements":{{"vpcConfig":{{"securityGroupIds":["alice",5]}}}}}}"#
        ));
        assert!(out.is_ok(), "{out:?}");
    }

    #[test]
    fn no_actor_and_no_values_yield_no_fields() {
        assert_eq!(extract(&record(r#"{"eventName":"X"}"#)), Ok(Vec::new()));
    }
}
