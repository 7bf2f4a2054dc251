pub mod case;
pub mod cases;
pub mod home;
pub mod intake;
pub mod layout;
pub mod login;
pub mod track;
