//! The registry on a real redb file in an actix system: each command's record, and the one
//! event it publishes after the commit (or none, when nothing was committed).

use super::*;
use crate::actors::change::{Cause, Change, Publish, UserChanged};
use crate::domain::plan::QuotaReset;
use crate::domain::{Day, Days, Password, UserStatus, Username, day_of, now_unix};
use crate::store::users::User;
use crate::store::{Store, audit};
use crate::wire::TrafficBatch;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Hands every `Publish` to the test.
struct Collector(UnboundedSender<Vec<Change>>);

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<Publish> for Collector {
    type Result = ();
    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) {
        let _ = self.0.send(msg.0);
    }
}

struct Fixture {
    registry: Addr<UserRegistry>,
    events: UnboundedReceiver<Vec<Change>>,
    store: Arc<Store>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
        let (tx, events) = unbounded_channel();
        let collector = Collector(tx).start().recipient();
        let s = store.clone();
        let registry = SyncArbiter::start(1, move || {
            UserRegistry::new(s.clone(), |name| name == "postgres2", "tunadmin".into())
                .with_subscriber(collector.clone())
        });
        Fixture { registry, events, store, _dir: dir }
    }

    /// The changes of the next published transaction.
    async fn next(&mut self) -> Vec<UserChanged> {
        let published = tokio::time::timeout(Duration::from_secs(5), self.events.recv()).await;
        let changes = published.expect("an event within 5 s").expect("the registry is alive");
        changes
            .into_iter()
            .map(|c| match c {
                Change::User(u) => *u,
                Change::Hosts(_) => panic!("the registry publishes only users"),
            })
            .collect()
    }

    /// The one change of the next transaction.
    async fn one(&mut self) -> UserChanged {
        let mut changes = self.next().await;
        assert_eq!(changes.len(), 1, "{changes:?}");
        changes.pop().unwrap()
    }

    async fn create(&mut self, name: &str, quota_bytes: u64, expires_on: Option<Day>) -> User {
        let user = NewUser {
            username: Username::parse(name).unwrap(),
            password_hash: "hash".into(),
            crypt_hash: String::new(),
            expires_on,
            quota_bytes,
            rate_kbps: 0,
            max_connections: 0,
            require_auth_header: true,
            allow_shell: false,
            note: String::new(),
            quota_reset: Default::default(),
            quota_reset_day: 0,
            expire_after_first_use_days: None,
        };
        let msg = CreateUser { user, password: Some(Password::parse("pw-1").unwrap()), by: by() };
        let created = self.registry.send(msg).await.unwrap().unwrap();
        let event = self.one().await;
        assert_eq!((event.cause, event.before.is_none()), (Cause::Created, true));
        assert_eq!(event.after.as_ref(), Some(&created));
        assert!(event.password.is_some(), "the clear password travels to chpasswd");
        created
    }

    async fn traffic(&self, node: &str, seq: u64, name: &str, bytes: u64) -> TrafficApplied {
        let batch = TrafficBatch { seq, bytes: [(name.to_owned(), (bytes, 0))].into() };
        self.registry.send(ApplyTraffic { batches: vec![(node.into(), batch)] }).await.unwrap().unwrap()
    }

    fn audit_actions(&self) -> Vec<String> {
        let (page, _) = self.store.read(|txn| audit::page(txn, None, 50)).unwrap();
        page.into_iter().map(|(_, r)| r.action).collect()
    }
}

fn by() -> Origin {
    Origin { who: "test".into(), ip: "192.0.2.9".into() }
}

fn name(n: &str) -> Username {
    Username::parse(n).unwrap()
}

#[actix::test]
async fn each_admin_command_publishes_its_before_and_after_once_committed() {
    let mut f = Fixture::start();
    let created = f.create("alice", 0, None).await;
    let pause = SetUserStatus { username: name("alice"), action: StatusAction::Pause, by: by() };
    let paused = f.registry.send(pause).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.before, e.after), (Cause::Paused, Some(created), Some(paused.clone())));
    let resume = SetUserStatus { username: name("alice"), action: StatusAction::Resume, by: by() };
    assert_eq!(f.registry.send(resume).await.unwrap().unwrap().status, UserStatus::Active);
    let e = f.one().await;
    assert_eq!((e.cause, e.before.map(|u| u.status)), (Cause::Resumed, Some(UserStatus::Paused)));
    let patch = UserPatch { rate_kbps: Some(64), ..Default::default() };
    f.registry.send(UpdateUser { username: name("alice"), patch, by: by() }).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.after.unwrap().rate_kbps), (Cause::Updated, 64));
    let msg = SetPassword {
        username: name("alice"),
        password_hash: "hash2".into(),
        crypt_hash: "$6$x$y".into(),
        password: Some(Password::parse("pw-2").unwrap()),
        by: by(),
    };
    f.registry.send(msg).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.after.unwrap().password_hash.as_str()), (Cause::PasswordSet, "hash2"));
    assert!(e.password.is_some());
    let kicked = f.registry.send(KickUser { username: name("alice"), by: by() }).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.before.as_ref()), (Cause::Kicked, Some(&kicked)), "a kick changes no record");
    assert_eq!(e.before, e.after);
    f.registry.send(DeleteUser { username: name("alice"), by: by() }).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.after, e.username.as_str()), (Cause::Deleted, None, "alice"));
    assert_eq!(
        f.audit_actions(),
        ["USER_DELETE", "USER_KICK", "USER_PASSWORD", "USER_UPDATE", "USER_RESUME", "USER_PAUSE", "USER_ADD"]
    );
}

#[actix::test]
async fn a_refused_command_commits_and_publishes_nothing() {
    let mut f = Fixture::start();
    f.create("bob", 0, None).await;
    for refused in ["bob", "postgres2", "tunadmin"] {
        let user = NewUser {
            username: name(refused),
            password_hash: "h".into(),
            crypt_hash: String::new(),
            expires_on: None,
            quota_bytes: 0,
            rate_kbps: 0,
            max_connections: 0,
            require_auth_header: true,
            allow_shell: false,
            note: String::new(),
            quota_reset: Default::default(),
            quota_reset_day: 0,
            expire_after_first_use_days: None,
        };
        assert!(f.registry.send(CreateUser { user, password: None, by: by() }).await.unwrap().is_err());
    }
    let missing = f.registry.send(KickUser { username: name("nobody2"), by: by() }).await.unwrap();
    assert!(matches!(missing, Err(RegistryError::NotFound(_))));
    // The next event is the next committed change, so the refusals published nothing.
    f.registry.send(ResetTraffic { username: name("bob"), by: by() }).await.unwrap().unwrap();
    assert_eq!(f.one().await.cause, Cause::TrafficReset);
    assert_eq!(f.audit_actions(), ["USER_RESET_TRAFFIC", "USER_ADD"]);
}

#[actix::test]
async fn renewal_adds_days_from_the_later_of_today_and_the_expiry_and_revives_an_expired_user() {
    let mut f = Fixture::start();
    let today = day_of(now_unix());
    let expired = f.create("carol", 0, Some(today)).await;
    assert_eq!(expired.status, UserStatus::Expired, "expiry day reached at creation");
    let msg = RenewUser { username: name("carol"), days: Days::new(3).unwrap(), by: by() };
    let renewed = f.registry.send(msg).await.unwrap().unwrap();
    assert_eq!((renewed.status, renewed.expires_on), (UserStatus::Active, Some(today + 3)));
    let e = f.one().await;
    assert_eq!((e.cause, e.before.unwrap().status), (Cause::Renewed, UserStatus::Expired));
    let msg = RenewUser { username: name("carol"), days: Days::new(2).unwrap(), by: by() };
    assert_eq!(f.registry.send(msg).await.unwrap().unwrap().expires_on, Some(today + 5));
}

#[actix::test]
async fn traffic_counts_once_per_batch_and_publishes_only_a_status_it_moves() {
    let mut f = Fixture::start();
    f.create("dave", 1000, None).await;
    let applied = f.traffic("n1", 1, "dave", 600).await;
    assert_eq!((applied.acks, applied.exceeded.len()), (vec![("n1".to_owned(), 1)], 0));
    let again = f.traffic("n1", 1, "dave", 600).await;
    assert_eq!(again.acks, [("n1".to_owned(), 1)], "a resent batch is acknowledged, not counted");
    let over = f.traffic("n1", 2, "dave", 400).await;
    assert_eq!(over.exceeded, ["dave"]);
    let e = f.one().await;
    assert_eq!(e.cause, Cause::Traffic, "usage alone published nothing before this");
    assert_eq!(e.before.unwrap().status, UserStatus::Active);
    let after = e.after.unwrap();
    assert_eq!((after.status, after.used_bytes()), (UserStatus::Exceeded, 1000));
    f.traffic("n1", 3, "ghost", 5).await;
    f.registry.send(ResetTraffic { username: name("dave"), by: by() }).await.unwrap().unwrap();
    let e = f.one().await;
    assert_eq!((e.cause, e.after.unwrap().status), (Cause::TrafficReset, UserStatus::Active));
}

#[actix::test]
async fn each_node_counts_todays_bytes_once_per_applied_batch_under_its_name() {
    let mut f = Fixture::start();
    f.create("erin", 0, None).await;
    f.traffic("edge-a-0000aaaa", 1, "erin", 100).await;
    f.traffic("edge-a-0000aaaa", 1, "erin", 100).await;
    f.traffic("edge-b-0000bbbb", 1, "erin", 30).await;
    // A later run of edge-a (a new session id, its numbers start again) adds to the same day.
    f.traffic("edge-a-1111cccc", 1, "erin", 7).await;
    let today = day_of(now_unix());
    let day = |node: &str| {
        f.store
            .read(|txn| {
                crate::store::traffic::range(
                    &txn.open_table(crate::store::tables::NODE_TRAFFIC)?,
                    node,
                    today,
                    today,
                )
            })
            .unwrap()[0]
            .1
    };
    assert_eq!((day("edge-a").up_bytes, day("edge-b").up_bytes, day("edge-c").up_bytes), (107, 30, 0));
}

#[actix::test]
async fn the_fuse_trips_once_and_the_scheduler_publishes_one_transaction() {
    let mut f = Fixture::start();
    f.create("erin", 0, None).await;
    let fuse = || FuseUser { username: name("erin"), speed_kbps: 5000.0, threshold_kbps: 1000 };
    assert_eq!(f.registry.send(fuse()).await.unwrap().unwrap().unwrap().status, UserStatus::Fused);
    let e = f.one().await;
    assert_eq!((e.cause, e.before.unwrap().status), (Cause::Fused, UserStatus::Active));
    assert!(f.registry.send(fuse()).await.unwrap().unwrap().is_none(), "already fused");

    let today = day_of(now_unix());
    f.create("frank", 0, Some(today + 2)).await;
    f.create("gina", 0, Some(today + 1)).await;
    let in_two_days = now_unix() + 2 * 86_400;
    let moved = f.registry.send(SettleAll { now: in_two_days }).await.unwrap().unwrap();
    let names: Vec<_> = moved.iter().map(|(from, u)| (*from, u.username.as_str(), u.status)).collect();
    assert_eq!(
        names,
        [
            (UserStatus::Active, "frank", UserStatus::Expired),
            (UserStatus::Active, "gina", UserStatus::Expired)
        ]
    );
    let changes = f.next().await;
    assert_eq!(changes.len(), 2, "one publish for the one transaction");
    assert!(changes.iter().all(|c| c.cause == Cause::Settled));
    assert!(f.registry.send(SettleAll { now: in_two_days }).await.unwrap().unwrap().is_empty());
    assert_eq!(f.audit_actions()[..2], ["USER_STATUS_SYNC", "USER_STATUS_SYNC"]);
}

#[actix::test]
async fn users_who_may_not_connect_are_reasserted_as_stored_and_active_ones_are_not() {
    let mut f = Fixture::start();
    f.create("hank", 0, None).await;
    f.create("ivy", 0, None).await;
    let pause = SetUserStatus { username: name("ivy"), action: StatusAction::Pause, by: by() };
    f.registry.send(pause).await.unwrap().unwrap();
    f.one().await;
    let names = ["hank", "ivy", "gone", "Not A Name"].map(String::from).to_vec();
    let reasserted = f.registry.send(ReassertNotActive { usernames: names }).await.unwrap().unwrap();
    assert_eq!(reasserted, ["ivy", "gone", "Not A Name"]);
    let changes = f.next().await;
    assert!(changes.iter().all(|c| c.cause == Cause::Reasserted && c.before == c.after));
    let seen: Vec<_> =
        changes.iter().map(|c| (c.username.as_str(), c.after.as_ref().map(|u| u.status))).collect();
    assert_eq!(seen, [("ivy", Some(UserStatus::Paused)), ("gone", None), ("Not A Name", None)]);
}

/// Before the change event, only a move to `exceeded` left `ApplyTraffic`: a user whose
/// expiry passed between two scheduler runs was stored `expired` by the traffic tick and
/// never locked (the scheduler then saw no change).
#[actix::test]
async fn an_expiry_that_traffic_settles_is_published_like_any_status_move() {
    let mut f = Fixture::start();
    f.create("jill", 0, None).await;
    f.store
        .write(|txn| -> Result<(), crate::store::StoreError> {
            let mut t = txn.open_table(crate::store::tables::USERS)?;
            let mut u = crate::store::users::get(&t, "jill")?.unwrap();
            u.expires_on = Some(day_of(now_unix()));
            crate::store::users::put(&mut t, &u)
        })
        .unwrap();
    assert!(f.traffic("n1", 1, "jill", 10).await.exceeded.is_empty());
    let e = f.one().await;
    assert_eq!(e.cause, Cause::Traffic);
    assert_eq!(
        (e.before.unwrap().status, e.after.unwrap().status),
        (UserStatus::Active, UserStatus::Expired)
    );
}

/// Plans: at the next reset day the scheduler's settle starts a new period, once; the
/// all-time total stays; a reset that moves no status is stored and audited but not answered.
#[actix::test]
async fn a_reset_day_starts_a_new_quota_period_once_and_keeps_the_total() {
    let mut f = Fixture::start();
    for n in ["hana", "ivan"] {
        f.create(n, 1000, None).await;
        let patch = UserPatch { quota_reset: Some((QuotaReset::Daily, 0)), ..Default::default() };
        f.registry.send(UpdateUser { username: name(n), patch, by: by() }).await.unwrap().unwrap();
        f.one().await;
    }
    f.traffic("n1", 1, "hana", 1500).await;
    assert_eq!(f.one().await.after.unwrap().status, UserStatus::Exceeded);
    f.traffic("n1", 2, "ivan", 400).await;

    let tomorrow = now_unix() + 86_400;
    let moved = f.registry.send(SettleAll { now: tomorrow }).await.unwrap().unwrap();
    assert_eq!(moved.len(), 1, "only hana's status moved: {moved:?}");
    let (from, hana) = &moved[0];
    assert_eq!(
        (*from, hana.status, hana.used_bytes(), hana.period_used_bytes()),
        (UserStatus::Exceeded, UserStatus::Active, 1500, 0)
    );
    let changes = f.next().await;
    assert_eq!(changes.len(), 2, "both periods started: {changes:?}");
    let ivan = changes.iter().find(|c| c.username == "ivan").unwrap().after.clone().unwrap();
    assert_eq!((ivan.status, ivan.used_bytes(), ivan.period_used_bytes()), (UserStatus::Active, 400, 0));
    assert!(f.registry.send(SettleAll { now: tomorrow }).await.unwrap().unwrap().is_empty());
    let resets = f.audit_actions().iter().filter(|a| *a == "USER_QUOTA_RESET").count();
    assert_eq!(resets, 2, "one reset each, not again on the same day");
}

/// An edit's audit row says what changed, old → new; saving the stored values again writes
/// no row and publishes nothing (the next event is the kick after it).
#[actix::test]
async fn an_edit_audits_old_to_new_and_a_save_that_changes_nothing_writes_no_row() {
    let mut f = Fixture::start();
    f.create("olga", 0, None).await;
    let patch = || UserPatch {
        rate_kbps: Some(512),
        max_connections: Some(3),
        note: Some(String::new()),
        ..Default::default()
    };
    f.registry.send(UpdateUser { username: name("olga"), patch: patch(), by: by() }).await.unwrap().unwrap();
    assert_eq!(f.one().await.cause, Cause::Updated);
    let same = f.registry.send(UpdateUser { username: name("olga"), patch: patch(), by: by() }).await;
    assert_eq!(same.unwrap().unwrap().rate_kbps, 512, "the stored user is answered");
    f.registry.send(KickUser { username: name("olga"), by: by() }).await.unwrap().unwrap();
    assert_eq!(f.one().await.cause, Cause::Kicked, "the identical save published nothing");
    assert_eq!(f.audit_actions(), ["USER_KICK", "USER_UPDATE", "USER_ADD"]);
    let (page, _) = f.store.read(|txn| audit::page(txn, None, 3)).unwrap();
    assert_eq!(page[1].1.detail, "rate_kbps 0 → 512, max_connections 0 → 3");
}
