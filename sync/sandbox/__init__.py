"""The sandbox broker: a real gateway server on loopback that simulates a broker's
trading platform and payment providers, speaking the contract in `sync/contract/`."""
