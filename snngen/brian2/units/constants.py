"""``brian2.units.constants``: physical constants as quantities (CODATA 2014, the values Brian2 uses)."""

from ...units import coulomb, farad, henry, joule, kelvin, kilogram, metre, mole, second

__all__ = ["avogadro_constant", "boltzmann_constant", "electric_constant", "electron_mass", "elementary_charge",
           "faraday_constant", "gas_constant", "magnetic_constant", "molar_mass_constant", "zero_celsius"]

avogadro_constant = 6.022140857e23 / mole
boltzmann_constant = 1.38064852e-23 * joule / kelvin
electric_constant = 8.854187817e-12 * farad / metre
electron_mass = 9.10938356e-31 * kilogram
elementary_charge = 1.6021766208e-19 * coulomb
faraday_constant = 96485.33289 * coulomb / mole
gas_constant = 8.3144598 * joule / mole / kelvin
magnetic_constant = 4e-7 * 3.141592653589793 * henry / metre
molar_mass_constant = 1e-3 * kilogram / mole
zero_celsius = 273.15 * kelvin
del second
