/**
 * Text of the demo corpus's notes: short, original explanatory pieces written for this project
 * (nothing copied), across several domains. Markdown ones carry a `# ` title; plain-text ones do not.
 */

export interface Note {
  /** Path relative to the sample corpus root. */
  readonly path: string
  readonly text: string
}

export const NOTES: ReadonlyArray<Note> = [
  {
    path: "notes/protein-folding.md",
    text: `# Protein folding: energy landscapes and structure prediction

A protein is synthesised as a linear chain of amino acids, yet most proteins reach a unique,
compact three-dimensional structure within microseconds to seconds. A random search over backbone
conformations would take longer than the age of the universe, so folding must be guided. The
**energy landscape** picture explains how: the free energy surface of a foldable sequence is shaped
like a rough funnel, and each local step that forms native contacts lowers the energy on average.

## Two-state kinetics and the transition state

Many small single-domain proteins fold in a two-state manner: only the unfolded ensemble and the
native state are populated at equilibrium. Mutational phi-value analysis compares how a point
mutation changes the folding rate and the stability. A phi value near one means the mutated residue
already makes native-like contacts in the transition state; a value near zero means it does not.

## From physics to prediction

- Molecular dynamics with all-atom force fields can now fold fast-folding miniproteins, but the
  required simulation times remain expensive for larger domains.
- Coevolution analysis of multiple sequence alignments reveals residue pairs that mutate together,
  which are usually in contact in the folded structure.
- Deep networks trained on the Protein Data Bank combine alignments and learned geometry to predict
  backbone coordinates with errors close to experimental resolution for many targets.

Prediction does not replace the physics: intrinsically disordered regions, fold switching and
misfolding into amyloid fibrils are still best understood through thermodynamics and kinetics.
`
  },
  {
    path: "notes/perovskite-solar-cells.md",
    text: `# Perovskite solar cells: efficiency and stability

Metal halide perovskites have the formula ABX3, where A is a monovalent cation such as
methylammonium, formamidinium or caesium, B is lead or tin, and X is iodide, bromide or chloride.
Their strong optical absorption, long carrier diffusion lengths and tolerance to many point defects
let solution-processed films reach power conversion efficiencies above 25 percent in small
laboratory cells.

## Why the band gap is tunable

Replacing part of the iodide with bromide widens the band gap from about 1.5 eV towards 2.3 eV.
This makes perovskites attractive as the top cell in tandems with silicon. Under illumination,
however, mixed-halide films can segregate into iodide-rich and bromide-rich domains, which pins the
open-circuit voltage to the lower gap of the iodide-rich regions.

## Degradation pathways

1. Moisture hydrates the lattice and eventually decomposes it into lead iodide.
2. Mobile ions migrate under bias and accumulate at interfaces, causing hysteresis in current-voltage scans.
3. Heat drives the loss of volatile organic cations, which is why caesium-rich compositions are more stable.

Encapsulation, passivating surface treatments and inorganic charge-transport layers have extended
operational lifetimes from hours to thousands of hours. Standardised damp-heat and light-soaking
protocols are needed before results from different laboratories can be compared.
`
  },
  {
    path: "notes/dark-matter-halos.txt",
    text: `Dark matter halos and galaxy rotation curves

The orbital speeds of stars and gas in spiral galaxies stay roughly constant far beyond the radius
that contains most of the visible light. If the luminous matter were all there is, the speed would
fall with the inverse square root of the radius, as planetary speeds do in the solar system. The
flat rotation curves imply an extended halo of non-luminous matter whose mass grows roughly in
proportion to radius.

Cosmological N-body simulations of cold, collisionless dark matter predict halos with a density
profile that rises steeply towards the centre, often fitted with the Navarro-Frenk-White form.
Observations of some dwarf and low-surface-brightness galaxies instead suggest shallower cores.
Proposed explanations include supernova feedback that repeatedly expels gas and flattens the
central potential, self-interacting dark matter, and systematic errors in measuring the kinematics
of non-circular gas motions.

Independent evidence comes from gravitational lensing, the hot gas in galaxy clusters and the
acoustic peaks of the cosmic microwave background, all of which require about five times more
dark matter than ordinary baryonic matter. Direct-detection experiments deep underground search for
rare nuclear recoils from dark matter particles, and their null results now exclude a large part
of the parameter space once favoured for weakly interacting massive particles.
`
  },
  {
    path: "notes/ocean-heat-content.md",
    text: `# Ocean heat content as a climate indicator

More than ninety percent of the extra energy trapped by greenhouse gases since the 1970s has gone
into the ocean. Because sea water has a large heat capacity, ocean heat content changes smoothly
from year to year and is less affected by weather noise than surface air temperature, which makes
it one of the most robust indicators of a warming planet.

## How it is measured

Before 2000, temperature profiles came mostly from ships using expendable bathythermographs, whose
fall-rate errors had to be corrected afterwards. Since the mid-2000s the Argo array of about four
thousand autonomous profiling floats has sampled the upper 2000 metres of the ice-free ocean every
ten days. Gaps remain under sea ice, in marginal seas and below 2000 metres, where new deep floats
are being deployed.

## What the records show

- The upper 2000 metres have gained heat at an accelerating rate over recent decades.
- Warming is not uniform: the Southern Ocean and the Atlantic absorb a disproportionate share.
- Thermal expansion of warming water explains roughly a third to a half of observed sea-level rise.

Year-to-year variations such as El Nino redistribute heat between the surface and the subsurface,
so trends should be assessed over a decade or more.
`
  },
  {
    path: "notes/krylov-solvers.md",
    text: `# Krylov subspace methods for large sparse linear systems

Discretising a partial differential equation on a fine mesh yields a linear system Ax = b with
millions of unknowns but only a handful of nonzeros per row. Direct factorisation fills in the
sparsity pattern and quickly exhausts memory, so iterative methods that only need matrix-vector
products are preferred.

## Conjugate gradients and GMRES

For symmetric positive definite matrices, the conjugate gradient method minimises the energy norm of
the error over the Krylov subspace spanned by b, Ab, A^2 b and so on. Its convergence depends on the
condition number: the error shrinks by roughly a factor (sqrt(k) - 1) / (sqrt(k) + 1) per step, where
k is the ratio of the largest to the smallest eigenvalue. For nonsymmetric systems, GMRES minimises
the residual norm but must store one basis vector per iteration, so it is usually restarted.

## Preconditioning

\`\`\`
solve M^-1 A x = M^-1 b   with M close to A and cheap to invert
\`\`\`

Incomplete factorisations, algebraic multigrid and domain decomposition are common choices for M.
A good preconditioner clusters the eigenvalues so that the iteration count stays nearly constant as
the mesh is refined, which is what makes these solvers scale to large parallel machines.
`
  },
  {
    path: "notes/permafrost-carbon.txt",
    text: `Permafrost carbon feedback

Permanently frozen soils in the Arctic and on high plateaus store roughly twice as much carbon as
the atmosphere currently holds, accumulated over thousands of years as plant litter froze before it
could decompose. As the climate warms, the active layer that thaws each summer deepens, and microbes
gain access to this old organic matter.

Decomposition releases carbon dioxide where soils are well drained and methane where they are
waterlogged. Abrupt thaw processes, such as thermokarst lakes and slumping hillsides, can expose deep
carbon within a few years rather than decades, but they are patchy and hard to represent in Earth
system models, whose grid cells are tens of kilometres wide.

Field chambers, eddy-covariance towers and aircraft campaigns suggest that some tundra regions
already switch from a net carbon sink in summer to a net source over the full year, because winter
emissions from unfrozen soil pockets are larger than once assumed. Estimates of the total release by
2100 still span a wide range, and narrowing it requires longer winter records and better maps of
ground ice.
`
  }
]
