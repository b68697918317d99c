// A typo in the .proto file: the error names the file, line and column.
mod pb {
    tars::include_proto!("syntax_error.proto");
}

fn main() {}
