//! SQLite's query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) for the connections
//! that ask for it: plans no longer depend on bound values. Without it a statement whose plan
//! looked at a bound value (`LIMIT ?` since SQLite 3.50, an indexed `= ?` once `ANALYZE` wrote
//! samples) is prepared again every time it is run with new bindings: the parse and plan then cost
//! more than the read itself. The API's statements are lookups and pages by unique or
//! per-workspace index, whose plan never depends on the values, so its pool opens with this; the
//! console keeps value-aware plans (a 186k-key workspace and a 10-key one may want different ones).
//!
//! diesel does not hand out the raw `sqlite3*`, so the setting is applied by an auto-extension
//! (run by SQLite for every connection it opens in this process) to the connections opened on
//! this thread inside `open`.

use std::cell::Cell;
use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

thread_local! {
    static WANTED: Cell<bool> = const { Cell::new(false) };
}

/// SQLite calls this for each connection it opens; it acts only inside `open(true, …)`.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    if WANTED.get() {
        // SAFETY: `db` is the connection SQLite is opening; the option takes an int and an
        // optional out-pointer for the new value (none wanted).
        let rc = unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as c_int,
                std::ptr::null_mut::<c_int>(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    ffi::SQLITE_OK
}

/// Runs `open` (which opens one SQLite connection on this thread); with `stable` the connection
/// gets the planner stability guarantee.
pub fn open<T>(stable: bool, open: impl FnOnce() -> T) -> T {
    static REGISTER: Once = Once::new();
    if stable {
        // SAFETY: registers a function with the signature SQLite expects, once per process.
        REGISTER.call_once(|| unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        });
    }
    WANTED.set(stable);
    let opened = open();
    WANTED.set(false);
    opened
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many times SQLite prepared `SELECT … LIMIT ?` again when it ran three times with a new
    /// LIMIT each time, on a connection opened with or without the guarantee.
    fn reprepares(stable: bool) -> i32 {
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: plain use of the C API on a private in-memory database, closed at the end.
        unsafe {
            let rc = open(stable, || {
                ffi::sqlite3_open_v2(
                    c":memory:".as_ptr(),
                    &mut db,
                    ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
                    std::ptr::null(),
                )
            });
            assert_eq!(rc, ffi::SQLITE_OK);
            let mut on: c_int = -1;
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1 as c_int, &mut on);
            assert_eq!(on, c_int::from(stable));
            let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
            let sql = c"SELECT name FROM sqlite_master LIMIT ?";
            let rc =
                ffi::sqlite3_prepare_v3(db, sql.as_ptr(), -1, 0, &mut stmt, std::ptr::null_mut());
            assert_eq!(rc, ffi::SQLITE_OK);
            for limit in 1..=3 {
                ffi::sqlite3_bind_int64(stmt, 1, limit);
                while ffi::sqlite3_step(stmt) == ffi::SQLITE_ROW {}
                ffi::sqlite3_reset(stmt);
            }
            let n = ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(stmt);
            ffi::sqlite3_close(db);
            n
        }
    }

    #[test]
    fn a_bound_limit_is_prepared_once_with_the_guarantee_and_each_time_without() {
        assert!(reprepares(false) >= 2, "SQLite re-plans for each new LIMIT");
        assert_eq!(reprepares(true), 0);
        // The auto-extension stays registered: connections opened without asking are unchanged.
        assert!(reprepares(false) >= 2);
    }
}
