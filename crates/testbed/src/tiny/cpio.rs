//! The newc cpio format the kernel unpacks an initramfs from, written directly (no external
//! cpio, no root: device nodes are just headers).

/// An initramfs being assembled in memory.
#[derive(Debug, Default)]
pub struct Cpio {
    bytes: Vec<u8>,
    next_inode: u32,
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

impl Cpio {
    /// An empty archive.
    pub fn new() -> Self {
        Cpio::default()
    }

    /// A directory (parents must be added first).
    pub fn dir(&mut self, path: &str) {
        self.entry(path, S_IFDIR | 0o755, 2, (0, 0), &[]);
    }

    /// A regular file with permission bits `mode` (e.g. 0o755).
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.entry(path, S_IFREG | mode, 1, (0, 0), data);
    }

    /// A symbolic link at `path` pointing to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, S_IFLNK | 0o777, 1, (0, 0), target.as_bytes());
    }

    /// A character device node (e.g. `dev/console`, 5:1, so that init has a console).
    pub fn char_device(&mut self, path: &str, mode: u32, major: u32, minor: u32) {
        self.entry(path, S_IFCHR | mode, 1, (major, minor), &[]);
    }

    /// Closes the archive and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.write_header("TRAILER!!!", 0, 1, (0, 0), 0, 0);
        self.pad();
        self.bytes
    }

    fn entry(&mut self, path: &str, mode: u32, nlink: u32, rdev: (u32, u32), data: &[u8]) {
        self.next_inode += 1;
        let inode = self.next_inode;
        self.write_header(path, mode, nlink, rdev, data.len(), inode);
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn write_header(
        &mut self,
        name: &str,
        mode: u32,
        nlink: u32,
        rdev: (u32, u32),
        size: usize,
        inode: u32,
    ) {
        let size = u32::try_from(size).expect("initramfs members are far below 4 GiB");
        let name_size = u32::try_from(name.len() + 1).expect("short names");
        let fields = [
            inode, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, name_size, 0,
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
    }

    /// newc aligns both the name and the data to 4 bytes.
    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_layout_is_exact() {
        let mut cpio = Cpio::new();
        cpio.dir("dev");
        cpio.char_device("dev/console", 0o600, 5, 1);
        cpio.file("init", 0o755, b"#!/bin/sh\n");
        cpio.symlink("bin/sh", "busybox");
        let bytes = cpio.finish();
        assert!(bytes.len().is_multiple_of(4));
        // First header: inode 1, a 0755 directory, 2 links, name "dev\0" (4 bytes).
        assert_eq!(
            &bytes[..110],
            b"07070100000001000041ED0000000000000000000000020000000000000000000000000000000000000000000000000000000400000000"
                .as_slice()
        );
        assert_eq!(&bytes[110..114], b"dev\0");
        let text = String::from_utf8_lossy(&bytes);
        // The console node carries its device numbers 5:1 in the rdev fields.
        assert!(
            text.contains("00000005000000010000000C00000000dev/console"),
            "{text}"
        );
        // 110-byte header + name + NUL, padded to 4: "init\0" gets one more NUL, "bin/sh\0" three.
        assert!(text.contains("init\0\0#!/bin/sh\n"));
        assert!(text.contains("bin/sh\0\0\0\0busybox"));
        assert!(text.contains("TRAILER!!!"));
    }
}
