// An enum member declared twice.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/duplicate_enum_member.tars");
}

fn main() {}
