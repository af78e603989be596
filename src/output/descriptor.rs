//! Keeping our HDF5 files out of child processes.
//!
//! HDF5's POSIX driver opens files without `O_CLOEXEC` and locks them with `flock`. A child
//! process started while a trajectory is open (a sweep launching runs, a test spawning the
//! binary, `pvpython`) would inherit the descriptor and with it the lock, for its whole life:
//! a reader of the finished trajectory then fails with "unable to lock file". Marking every
//! descriptor close-on-exec right after HDF5 opens it closes that door.

use hdf5::File;
use hdf5::plist::file_access::FileDriver;

/// Marks the operating-system descriptor behind `file` close-on-exec. Files on a driver
/// other than the POSIX one (in-memory, split) are left alone: they have no single
/// descriptor to mark. Failures are ignored: the flag only narrows a race.
pub(crate) fn close_on_exec(file: &File) {
    let Ok(fapl) = file.access_plist() else {
        return;
    };
    if !matches!(fapl.driver(), FileDriver::Sec2) {
        return;
    }
    hdf5::sync::sync(|| {
        let mut handle: *mut std::ffi::c_void = std::ptr::null_mut();
        // SAFETY: `file` is a valid open file and `fapl` its access list; on success HDF5
        // stores in `handle` a pointer to the POSIX driver's `int` descriptor, which stays
        // valid while the file is open (it is, for this whole call).
        let status =
            unsafe { hdf5_sys::h5f::H5Fget_vfd_handle(file.id(), fapl.id(), &raw mut handle) };
        if status < 0 || handle.is_null() {
            return;
        }
        // SAFETY: for the sec2 driver the handle points to an `int` file descriptor.
        let fd = unsafe { *handle.cast::<libc::c_int>() };
        // SAFETY: fcntl on a descriptor we do not close; F_GETFD/F_SETFD touch only its flags.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    });
}
