return require "helpscout.json" -- the old name of helpscout.json
