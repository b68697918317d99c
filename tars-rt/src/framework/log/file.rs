//! Log files that roll as TarsGo's and TarsCpp's do: by size (`name.log`, then `name1.log`,
//! `name2.log`, … up to `lognum` files, oldest dropped) or by time (`name_YYYYMMDD.log`,
//! `name_YYYYMMDDHH.log`, the newest `lognum` kept).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};

/// How a log file rolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roll {
    /// At `logsize` bytes, keeping `lognum` files (TarsGo's `GetLogger`).
    BySize,
    /// A new file every day (TarsGo's `GetDayLogger`).
    Daily,
    /// A new file every hour (TarsGo's `GetHourLogger`).
    Hourly,
}

/// One log file being written.
pub(crate) struct RollingFile {
    dir: PathBuf,
    /// The name without `.log`: `App.Server` or `App.Server_TLOG`.
    stem: String,
    roll: Roll,
    max_size: u64,
    max_files: usize,
    out: Option<BufWriter<File>>,
    written: u64,
    /// The period the open file is for (`20261130`, `2026113023`), for time rolling.
    period: String,
}

impl RollingFile {
    pub(crate) fn new(dir: &Path, stem: &str, roll: Roll, max_size: u64, max_files: usize) -> Self {
        RollingFile {
            dir: dir.into(),
            stem: stem.into(),
            roll,
            max_size: max_size.max(1),
            max_files: max_files.max(1),
            out: None,
            written: 0,
            period: String::new(),
        }
    }

    /// The file the next line goes to.
    pub(crate) fn current_path(&self, now: &DateTime<Local>) -> PathBuf {
        match self.roll {
            Roll::BySize => self.dir.join(format!("{}.log", self.stem)),
            _ => self.dir.join(format!("{}_{}.log", self.stem, self.period_of(now))),
        }
    }

    fn period_of(&self, now: &DateTime<Local>) -> String {
        match self.roll {
            Roll::BySize => String::new(),
            Roll::Daily => now.format("%Y%m%d").to_string(),
            Roll::Hourly => now.format("%Y%m%d%H").to_string(),
        }
    }

    pub(crate) fn write(&mut self, now: &DateTime<Local>, line: &[u8]) -> std::io::Result<()> {
        if self.roll != Roll::BySize {
            let period = self.period_of(now);
            if period != self.period {
                self.close();
                self.period = period;
                self.remove_old_periods();
            }
        } else if self.written >= self.max_size {
            self.close();
            self.shift_sized()?;
        }
        if self.out.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.current_path(now);
            let file = OpenOptions::new().create(true).append(true).open(&path)?;
            self.written = file.metadata().map_or(0, |m| m.len());
            self.out = Some(BufWriter::with_capacity(64 * 1024, file));
        }
        if let Some(out) = &mut self.out {
            out.write_all(line)?;
            self.written += line.len() as u64;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }

    fn close(&mut self) {
        if let Some(mut out) = self.out.take() {
            let _ = out.flush();
        }
        self.written = 0;
    }

    /// `name{n-2}.log` → `name{n-1}.log`, …, `name.log` → `name1.log`.
    fn shift_sized(&self) -> std::io::Result<()> {
        let path = |i: usize| match i {
            0 => self.dir.join(format!("{}.log", self.stem)),
            i => self.dir.join(format!("{}{i}.log", self.stem)),
        };
        if self.max_files <= 1 {
            return std::fs::remove_file(path(0)).or_else(ignore_missing);
        }
        std::fs::remove_file(path(self.max_files - 1)).or_else(ignore_missing)?;
        for i in (0..self.max_files - 1).rev() {
            match std::fs::rename(path(i), path(i + 1)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Keeps the newest `max_files` of `name_<digits>.log`.
    fn remove_old_periods(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("{}_", self.stem);
        let mut periods: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let digits = name.strip_prefix(&prefix)?.strip_suffix(".log")?;
                (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| (digits.to_string(), e.path()))
            })
            .collect();
        // The file about to be opened counts as one.
        periods.sort();
        let keep = self.max_files.saturating_sub(1);
        let excess = periods.len().saturating_sub(keep);
        for (_, path) in periods.into_iter().take(excess) {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for RollingFile {
    fn drop(&mut self) {
        self.close();
    }
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tars-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn sized_files_roll_to_numbered_names_and_keep_lognum() {
        let dir = tmp("size");
        let mut f = RollingFile::new(&dir, "A.S", Roll::BySize, 10, 3);
        let now = Local::now();
        for i in 0..5 {
            f.write(&now, format!("line {i:04}\n").as_bytes()).unwrap();
        }
        f.flush().unwrap();
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
        assert_eq!(read("A.S.log"), "line 0004\n");
        assert_eq!(read("A.S1.log"), "line 0003\n");
        assert_eq!(read("A.S2.log"), "line 0002\n");
        assert!(!dir.join("A.S3.log").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn daily_files_are_named_by_date_and_old_ones_go() {
        let dir = tmp("day");
        let mut f = RollingFile::new(&dir, "A.S_TLOG", Roll::Daily, 1 << 20, 2);
        for day in 1..=4 {
            let t = Local.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap();
            f.write(&t, format!("day {day}\n").as_bytes()).unwrap();
        }
        f.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["A.S_TLOG_20261103.log", "A.S_TLOG_20261104.log"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
