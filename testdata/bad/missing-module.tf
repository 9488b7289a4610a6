# a module whose directory is not there
module "web" {
  source = "./modules/web"
}
