// An enum member declared twice.
mod m {
    tars::include_tars!("duplicate_enum_member.tars");
}

fn main() {}
