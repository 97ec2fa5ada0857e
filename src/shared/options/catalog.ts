// The CenterFusion option catalog: every option of CenterFusion's src/lib/opts.py (commit 3bac5c9b)
// in parser order, with its argparse default, choices and the comment block it sits in. The help
// texts, bounds and notes are this project's own. Pure data: no imports besides the types.
import type { OptionSpec } from './types';

/** CenterFusion's block comments above each group of options, in parser order. */
export const OPTION_GROUPS: readonly string[] = Object.freeze([
  "basic experiment setting",
  "system",
  "log",
  "model",
  "input",
  "train",
  "test",
  "dataset",
  "tracking",
  "loss",
  "custom dataset",
  "point clouds and nuScenes dataset (radar/custom)",
]);

const G = OPTION_GROUPS;

const SPECS: OptionSpec[] = [
  // ---- basic experiment setting
  {
    dest: "task", flag: "task", type: "str", default: "", group: G[0], positional: true,
    help: "What the network is trained for: ddd (monocular 3D boxes, what CenterFusion trains), ctdet (2D boxes), multi_pose (human keypoints) or tracking; join several with a comma, e.g. tracking,ddd.",
  },
  {
    dest: "dataset", flag: "--dataset", type: "str", default: "nuscenes", group: G[0],
    help: "Training dataset, looked up in CenterFusion's dataset factory. CenterFusion is built around nuscenes.",
  },
  {
    dest: "test_dataset", flag: "--test_dataset", type: "str", default: "", group: G[0],
    help: "Dataset used by test.py and for evaluation. Left empty, it is the same as --dataset.",
    note: "Empty is replaced by the value of --dataset.",
  },
  {
    dest: "exp_id", flag: "--exp_id", type: "str", default: "default", group: G[0],
    help: "Name of this experiment: checkpoints, logs and results go to exp/<task>/<exp_id>/.",
    note: "Must be a plain folder name (no slashes, no '..', no leading '-').",
  },
  {
    dest: "eval", flag: "--eval", type: "flag", default: false, group: G[0],
    help: "Do not train: run a single pass over the validation split (plus the dataset evaluation when --run_dataset_eval is set) and exit.",
  },
  {
    dest: "debug", flag: "--debug", type: "int", default: 0, group: G[0], min: 0, max: 4,
    help: "Visualization level: 0 off, 1 final detections, 2 also the network outputs, 3 matplotlib windows, 4 write every visualization to disk.",
    note: "Any value above 0 forces num_workers 0, batch_size 1 and a single GPU.",
  },
  {
    dest: "no_pause", flag: "--no_pause", type: "flag", default: false, group: G[0],
    help: "Do not wait for a key press after each debug visualization.",
  },
  {
    dest: "demo", flag: "--demo", type: "str", default: "", group: G[0],
    help: "Input for demo.py: an image, a folder of images, a video file or the word webcam.",
  },
  {
    dest: "load_model", flag: "--load_model", type: "str", default: "", group: G[0],
    help: "Checkpoint (.pth) used to initialise the network, for example the CenterNet baseline that CenterFusion is fine-tuned from.",
    note: "With --resume and left empty it becomes <save_dir>/model_last.pth.",
  },
  {
    dest: "resume", flag: "--resume", type: "flag", default: false, group: G[0],
    help: "Continue an experiment: take the epoch counter and the learning-rate schedule from the checkpoint, which defaults to the experiment's model_last.pth.",
    note: "Only the epoch counter and the learning rate come from the checkpoint; CenterFusion does not restore the optimizer state. Without --resume a loaded checkpoint starts again at epoch 1.",
  },
  // ---- system
  {
    dest: "gpus", flag: "--gpus", type: "str", default: "0", group: G[1], list: "int",
    help: "Comma-separated GPU ids to use, e.g. 0 or 0,1; -1 runs on the CPU.",
    note: "The ids are renumbered from 0 (CUDA_VISIBLE_DEVICES keeps the real ids); a first id below 0 means CPU.",
  },
  {
    dest: "num_workers", flag: "--num_workers", type: "int", default: 4, group: G[1], min: 0,
    help: "Number of data-loader worker processes (0 loads data in the main process).",
    note: "Raised to at least twice the number of GPUs; forced to 0 when --debug is above 0.",
  },
  {
    dest: "not_cuda_benchmark", flag: "--not_cuda_benchmark", type: "flag", default: false, group: G[1],
    help: "Turn off cuDNN autotuning; useful when the input size changes from batch to batch.",
  },
  {
    dest: "seed", flag: "--seed", type: "int", default: 317, group: G[1],
    help: "Seed of PyTorch's random number generator.",
  },
  {
    dest: "not_set_cuda_env", flag: "--not_set_cuda_env", type: "flag", default: false, group: G[1],
    help: "Do not set CUDA_VISIBLE_DEVICES from --gpus, e.g. on clusters such as Slurm that set it already.",
  },
  // ---- log
  {
    dest: "print_iter", flag: "--print_iter", type: "int", default: 0, group: G[2], min: 0,
    help: "Print a plain progress line to stdout every N iterations instead of drawing the progress bar; 0 keeps the bar.",
  },
  {
    dest: "save_all", flag: "--save_all", type: "flag", default: false, group: G[2],
    help: "On each validation epoch keep a numbered checkpoint model_<epoch>.pth instead of overwriting model_last.pth.",
  },
  {
    dest: "vis_thresh", flag: "--vis_thresh", type: "float", default: 0.3, group: G[2], min: 0, max: 1,
    help: "Minimum score for a detection to be drawn in debug images and demos.",
  },
  {
    dest: "debugger_theme", flag: "--debugger_theme", type: "str", default: "white", choices: ["white", "black"], group: G[2],
    help: "Background colour used by the debug visualizer.",
  },
  {
    dest: "run_dataset_eval", flag: "--run_dataset_eval", type: "flag", default: false, group: G[2],
    help: "After each validation pass, run the dataset's official evaluation (for nuScenes: mAP, NDS and the true-positive errors).",
  },
  {
    dest: "save_imgs", flag: "--save_imgs", type: "str", default: "", group: G[2], list: "str", allowEmptyList: true,
    help: "Comma-separated names of the debug images to save; empty saves all of them.",
  },
  {
    dest: "save_img_suffix", flag: "--save_img_suffix", type: "str", default: "", group: G[2],
    help: "Text appended to the file names of saved debug images.",
  },
  {
    dest: "skip_first", flag: "--skip_first", type: "int", default: -1, group: G[2], min: -1,
    help: "Demo only: number of leading frames of the input to skip.",
  },
  {
    dest: "save_video", flag: "--save_video", type: "flag", default: false, group: G[2],
    help: "Demo only: write the visualized results to a video file.",
  },
  {
    dest: "save_framerate", flag: "--save_framerate", type: "int", default: 30, group: G[2], min: 1,
    help: "Demo only: frame rate of the video written by --save_video.",
  },
  {
    dest: "resize_video", flag: "--resize_video", type: "flag", default: false, group: G[2],
    help: "Demo only: resize every input frame to --video_w x --video_h before running the network.",
  },
  {
    dest: "video_h", flag: "--video_h", type: "int", default: 512, group: G[2], min: 1,
    help: "Demo only: frame height used with --resize_video.",
  },
  {
    dest: "video_w", flag: "--video_w", type: "int", default: 512, group: G[2], min: 1,
    help: "Demo only: frame width used with --resize_video.",
  },
  {
    dest: "transpose_video", flag: "--transpose_video", type: "flag", default: false, group: G[2],
    help: "Demo only: transpose each frame (swap rows and columns), for videos stored sideways.",
  },
  {
    dest: "show_track_color", flag: "--show_track_color", type: "flag", default: false, group: G[2],
    help: "Colour boxes by track id instead of by class in visualizations.",
    note: "Switched on automatically when the task contains both tracking and ddd.",
  },
  {
    dest: "not_show_bbox", flag: "--not_show_bbox", type: "flag", default: false, group: G[2],
    help: "Do not draw the 2D boxes in visualizations.",
  },
  {
    dest: "not_show_number", flag: "--not_show_number", type: "flag", default: false, group: G[2],
    help: "Do not write track ids next to the boxes in visualizations.",
  },
  {
    dest: "qualitative", flag: "--qualitative", type: "flag", default: false, group: G[2],
    help: "Visualization style for figures: draws cleaner results with fewer annotations.",
  },
  {
    dest: "tango_color", flag: "--tango_color", type: "flag", default: false, group: G[2],
    help: "Use the Tango colour palette for the classes in visualizations.",
  },
  // ---- model
  {
    dest: "arch", flag: "--arch", type: "str", default: "dla_34", group: G[3],
    help: "Network architecture as <family>_<layers>, e.g. dla_34 (CenterFusion's choice), res_18, resdcn_101, dlav0_34 or generic.",
    note: "An architecture whose name contains 'dla' gets a default head_conv of 256, any other 64.",
  },
  {
    dest: "dla_node", flag: "--dla_node", type: "str", default: "dcn", group: G[3],
    help: "Kind of aggregation node in the DLA up-sampling path: dcn (deformable convolution, needs the compiled DCNv2 op), gcn or conv.",
  },
  {
    dest: "head_conv", flag: "--head_conv", type: "int", default: -1, group: G[3], min: -1,
    help: "Channels of the hidden conv layers in each output head: 0 for none, -1 for the default of the architecture.",
    note: "-1 becomes 256 for architectures whose name contains 'dla' and 64 for the others.",
  },
  {
    dest: "num_head_conv", flag: "--num_head_conv", type: "int", default: 1, group: G[3], min: 0,
    help: "Number of hidden conv layers in each output head before its final 1x1 projection.",
    note: "The reg head always has 1 layer; with --pointcloud dep_sec, rot_sec, velocity and nuscenes_att have 3.",
  },
  {
    dest: "head_kernel", flag: "--head_kernel", type: "int", default: 3, group: G[3], min: 1,
    help: "Kernel size of the hidden conv layers in the output heads.",
  },
  {
    dest: "down_ratio", flag: "--down_ratio", type: "int", default: 4, group: G[3], min: 1,
    help: "Output stride: the output maps are the input size divided by this. The bundled networks only support 4.",
  },
  {
    dest: "num_classes", flag: "--num_classes", type: "int", default: -1, group: G[3], min: -1,
    help: "Number of object classes (channels of the heatmap); -1 takes it from the dataset.",
    note: "-1 takes the dataset's class count (10 for nuScenes).",
  },
  {
    dest: "num_resnet_layers", flag: "--num_resnet_layers", type: "int", default: 101, group: G[3], min: 1,
    help: "Depth of the ResNet used as backbone by the generic network (18, 34, 50, 101 or 152).",
  },
  {
    dest: "backbone", flag: "--backbone", type: "str", default: "dla34", group: G[3],
    help: "Backbone of the generic network (arch generic).",
  },
  {
    dest: "neck", flag: "--neck", type: "str", default: "dlaup", group: G[3],
    help: "Neck that merges the backbone's feature levels in the generic network.",
  },
  {
    dest: "msra_outchannel", flag: "--msra_outchannel", type: "int", default: 256, group: G[3], min: 1,
    help: "Output channels of the MSRA-style ResNet neck of the generic network.",
  },
  {
    dest: "prior_bias", flag: "--prior_bias", type: "float", default: -4.6, group: G[3],
    help: "Initial bias of the heatmap head's last layer; -4.6 makes every location start at a score of about 0.01, as focal loss expects.",
  },
  // ---- input
  {
    dest: "input_res", flag: "--input_res", type: "int", default: -1, group: G[4], min: -1,
    help: "Square network input size; -1 uses the dataset's default resolution.",
    note: "--input_h and --input_w take precedence; after resolving, input_res is max(input_h, input_w).",
  },
  {
    dest: "input_h", flag: "--input_h", type: "int", default: -1, group: G[4], min: -1,
    help: "Network input height in pixels; -1 uses --input_res or the dataset default.",
  },
  {
    dest: "input_w", flag: "--input_w", type: "int", default: -1, group: G[4], min: -1,
    help: "Network input width in pixels; -1 uses --input_res or the dataset default.",
  },
  {
    dest: "dataset_version", flag: "--dataset_version", type: "str", default: "", group: G[4],
    help: "Variant of the dataset for dataset classes that have several (for instance MOT's half splits); empty for the default.",
  },
  // ---- train
  {
    dest: "optim", flag: "--optim", type: "str", default: "adam", group: G[5],
    help: "Optimizer: adam, or sgd with momentum 0.9 and weight decay 1e-4.",
    note: "CenterFusion stops with an error for anything but adam or sgd.",
  },
  {
    dest: "lr", flag: "--lr", type: "float", default: 0.000125, group: G[5], min: 0,
    help: "Initial learning rate (the defaults are tuned for a batch size of 32).",
  },
  {
    dest: "lr_step", flag: "--lr_step", type: "str", default: "60", group: G[5], list: "int",
    help: "Comma-separated epochs at which the learning rate is divided by 10, e.g. 50 or 20,40.",
  },
  {
    dest: "save_point", flag: "--save_point", type: "str", default: "90", group: G[5], list: "int",
    help: "Comma-separated epochs at which an extra checkpoint model_<epoch>.pth is written.",
  },
  {
    dest: "num_epochs", flag: "--num_epochs", type: "int", default: 70, group: G[5], min: 1,
    help: "Number of training epochs.",
  },
  {
    dest: "batch_size", flag: "--batch_size", type: "int", default: 32, group: G[5], min: 1,
    help: "Total batch size, summed over all GPUs.",
    note: "Forced to 1 when --debug is above 0.",
  },
  {
    dest: "master_batch_size", flag: "--master_batch_size", type: "int", default: -1, group: G[5], min: -1,
    help: "Part of each batch placed on the first GPU; -1 splits the batch evenly.",
    note: "-1 becomes batch_size // number of GPUs; the rest is spread over the other GPUs.",
  },
  {
    dest: "num_iters", flag: "--num_iters", type: "int", default: -1, group: G[5], min: -1,
    help: "Iterations per epoch; -1 goes through the whole training split once.",
  },
  {
    dest: "val_intervals", flag: "--val_intervals", type: "int", default: 10, group: G[5],
    help: "Run a validation pass every N epochs; 0 or less never validates.",
    note: "Must stay below num_epochs (unless --eval): CenterFusion only builds the validation loader then, and crashes at the last epoch when both are equal.",
  },
  {
    dest: "trainval", flag: "--trainval", type: "flag", default: false, group: G[5],
    help: "Train on the training and validation data together and test on the test split.",
  },
  {
    dest: "ltrb", flag: "--ltrb", type: "flag", default: false, group: G[5],
    help: "Regress the distances from the center to the left, top, right and bottom box edges (adds an ltrb head).",
  },
  {
    dest: "ltrb_weight", flag: "--ltrb_weight", type: "float", default: 0.1, group: G[5], min: 0,
    help: "Loss weight of the ltrb head.",
  },
  {
    dest: "reset_hm", flag: "--reset_hm", type: "flag", default: false, group: G[5],
    help: "When loading a checkpoint, do not take over a heatmap head trained for 80 (COCO) or 1 class; it is initialised anew.",
  },
  {
    dest: "reuse_hm", flag: "--reuse_hm", type: "flag", default: false, group: G[5],
    help: "When a loaded layer has another shape than the network's, copy the part that fits instead of skipping it.",
  },
  {
    dest: "dense_reg", flag: "--dense_reg", type: "int", default: 1, group: G[5], min: 1,
    help: "Multiplier on the maximum number of regression targets per image (1 = one target per object).",
  },
  {
    dest: "shuffle_train", flag: "--shuffle_train", type: "flag", default: false, group: G[5],
    help: "Shuffle the training samples every epoch.",
  },
  // ---- test
  {
    dest: "flip_test", flag: "--flip_test", type: "flag", default: false, group: G[6],
    help: "Test-time augmentation: also run the horizontally flipped image and average both outputs.",
  },
  {
    dest: "test_scales", flag: "--test_scales", type: "str", default: "1", group: G[6], list: "float",
    help: "Comma-separated input scales for multi-scale testing, e.g. 1 or 0.75,1,1.25.",
    note: "CenterFusion's detector only supports a single scale and stops with an assertion error otherwise.",
  },
  {
    dest: "nms", flag: "--nms", type: "flag", default: false, group: G[6],
    help: "Apply non-maximum suppression to the decoded detections.",
  },
  {
    dest: "K", flag: "--K", type: "int", default: 100, group: G[6], min: 1,
    help: "Maximum number of objects decoded from the heatmap per image.",
  },
  {
    dest: "not_prefetch_test", flag: "--not_prefetch_test", type: "flag", default: false, group: G[6],
    help: "Test without the background loader that pre-processes the next images.",
  },
  {
    dest: "fix_short", flag: "--fix_short", type: "int", default: -1, group: G[6], min: -1,
    help: "Resize test images so that their short side has this many pixels; -1 keeps the normal resizing.",
  },
  {
    dest: "keep_res", flag: "--keep_res", type: "flag", default: false, group: G[6],
    help: "Test at each image's own resolution (padded to a multiple of 32) instead of the fixed input size.",
  },
  {
    dest: "out_thresh", flag: "--out_thresh", type: "float", default: -1, group: G[6],
    help: "Minimum score for a detection to be kept in the output; -1 keeps all of them.",
    note: "Raised to --track_thresh for tracking tasks.",
  },
  {
    dest: "depth_scale", flag: "--depth_scale", type: "float", default: 1, group: G[6],
    help: "Factor applied to the predicted depths when decoding.",
  },
  {
    dest: "save_results", flag: "--save_results", type: "flag", default: false, group: G[6],
    help: "Also write the raw detections of a test run to a JSON file in the experiment folder.",
  },
  {
    dest: "load_results", flag: "--load_results", type: "str", default: "", group: G[6],
    help: "JSON file with saved detections, used as public detections or, with --use_loaded_results, instead of the network.",
  },
  {
    dest: "use_loaded_results", flag: "--use_loaded_results", type: "flag", default: false, group: G[6],
    help: "Report the detections read from --load_results instead of running the network.",
  },
  {
    dest: "ignore_loaded_cats", flag: "--ignore_loaded_cats", type: "str", default: "", group: G[6], list: "int", allowEmptyList: true,
    help: "Comma-separated category ids to drop from the detections read with --load_results.",
  },
  {
    dest: "model_output_list", flag: "--model_output_list", type: "flag", default: false, group: G[6],
    help: "Make the network return a list instead of a dict, as needed to export it to ONNX.",
  },
  {
    dest: "non_block_test", flag: "--non_block_test", type: "flag", default: false, group: G[6],
    help: "Copy test images to the GPU with non-blocking transfers.",
  },
  {
    dest: "vis_gt_bev", flag: "--vis_gt_bev", type: "str", default: "", group: G[6],
    help: "Folder of ground-truth bird's-eye-view images shown next to the predictions in debug output.",
  },
  {
    dest: "kitti_split", flag: "--kitti_split", type: "str", default: "3dop", group: G[6],
    help: "KITTI validation split to use: 3dop or subcnn.",
  },
  {
    dest: "test_focal_length", flag: "--test_focal_length", type: "int", default: -1, group: G[6], min: -1,
    help: "Focal length in pixels used at test time instead of the image's calibration; -1 keeps the calibration.",
  },
  // ---- dataset
  {
    dest: "not_rand_crop", flag: "--not_rand_crop", type: "flag", default: false, group: G[7],
    help: "Turn off the random crop-and-scale augmentation; --shift and --scale are used instead.",
  },
  {
    dest: "not_max_crop", flag: "--not_max_crop", type: "flag", default: false, group: G[7],
    help: "Base the random crop on the image's width and height separately instead of its longest side (for datasets with uneven aspect ratios).",
  },
  {
    dest: "shift", flag: "--shift", type: "float", default: 0, group: G[7], min: 0,
    help: "Largest random shift of the image center, as a fraction of the image size, when random crop is off.",
  },
  {
    dest: "scale", flag: "--scale", type: "float", default: 0, group: G[7], min: 0,
    help: "Largest random change of scale (plus or minus this fraction) when random crop is off.",
  },
  {
    dest: "aug_rot", flag: "--aug_rot", type: "float", default: 0, group: G[7], min: 0, max: 1,
    help: "Probability of applying a random rotation to a training image.",
  },
  {
    dest: "rotate", flag: "--rotate", type: "float", default: 0, group: G[7], min: 0,
    help: "Largest random rotation in degrees, applied with probability --aug_rot.",
  },
  {
    dest: "flip", flag: "--flip", type: "float", default: 0.5, group: G[7], min: 0, max: 1,
    help: "Probability of flipping a training image horizontally.",
  },
  {
    dest: "no_color_aug", flag: "--no_color_aug", type: "flag", default: false, group: G[7],
    help: "Turn off the colour and lighting augmentation.",
  },
  // ---- tracking
  {
    dest: "tracking", flag: "--tracking", type: "flag", default: false, group: G[8],
    help: "Train or run the tracking variant, which also looks at the previous frame.",
    note: "Switched on automatically when the task contains tracking.",
  },
  {
    dest: "pre_hm", flag: "--pre_hm", type: "flag", default: false, group: G[8],
    help: "Give the network a heatmap of the previous frame's detections as an extra input.",
  },
  {
    dest: "same_aug_pre", flag: "--same_aug_pre", type: "flag", default: false, group: G[8],
    help: "Augment the previous frame exactly like the current one.",
  },
  {
    dest: "zero_pre_hm", flag: "--zero_pre_hm", type: "flag", default: false, group: G[8],
    help: "Feed an all-zero previous-frame heatmap (an ablation).",
  },
  {
    dest: "hm_disturb", flag: "--hm_disturb", type: "float", default: 0, group: G[8], min: 0,
    help: "Training noise: move previous-frame centers by up to this fraction of the box size.",
  },
  {
    dest: "lost_disturb", flag: "--lost_disturb", type: "float", default: 0, group: G[8], min: 0, max: 1,
    help: "Training noise: probability of leaving an object out of the previous-frame heatmap.",
  },
  {
    dest: "fp_disturb", flag: "--fp_disturb", type: "float", default: 0, group: G[8], min: 0, max: 1,
    help: "Training noise: probability of adding a false detection near an object in the previous-frame heatmap.",
  },
  {
    dest: "pre_thresh", flag: "--pre_thresh", type: "float", default: -1, group: G[8], min: -1, max: 1,
    help: "Score a detection needs to be drawn into the previous-frame heatmap; -1 uses --track_thresh.",
    note: "Raised to --track_thresh for tracking tasks.",
  },
  {
    dest: "track_thresh", flag: "--track_thresh", type: "float", default: 0.3, group: G[8], min: 0, max: 1,
    help: "Score a detection needs to be matched to a track.",
  },
  {
    dest: "new_thresh", flag: "--new_thresh", type: "float", default: 0.3, group: G[8], min: 0, max: 1,
    help: "Score an unmatched detection needs to start a new track.",
    note: "Raised to --track_thresh for tracking tasks.",
  },
  {
    dest: "max_frame_dist", flag: "--max_frame_dist", type: "int", default: 3, group: G[8], min: 1,
    help: "Largest distance, in frames, between a training frame and the previous frame sampled with it.",
  },
  {
    dest: "ltrb_amodal", flag: "--ltrb_amodal", type: "flag", default: false, group: G[8],
    help: "Regress the full (amodal) box edges, even outside the image; adds an ltrb_amodal head.",
  },
  {
    dest: "ltrb_amodal_weight", flag: "--ltrb_amodal_weight", type: "float", default: 0.1, group: G[8], min: 0,
    help: "Loss weight of the ltrb_amodal head.",
  },
  {
    dest: "public_det", flag: "--public_det", type: "flag", default: false, group: G[8],
    help: "Track the detections given with --load_results (public detections) instead of the network's own.",
  },
  {
    dest: "no_pre_img", flag: "--no_pre_img", type: "flag", default: false, group: G[8],
    help: "Do not give the previous image to the network when tracking.",
  },
  {
    dest: "zero_tracking", flag: "--zero_tracking", type: "flag", default: false, group: G[8],
    help: "Ignore the predicted tracking offsets when matching (an ablation).",
  },
  {
    dest: "hungarian", flag: "--hungarian", type: "flag", default: false, group: G[8],
    help: "Match detections to tracks with the Hungarian algorithm instead of greedily.",
  },
  {
    dest: "max_age", flag: "--max_age", type: "int", default: -1, group: G[8], min: -1,
    help: "Frames an unmatched track is kept so it can be matched again; -1 ends it at once.",
  },
  // ---- loss
  {
    dest: "tracking_weight", flag: "--tracking_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the tracking offset head.",
  },
  {
    dest: "reg_loss", flag: "--reg_loss", type: "str", default: "l1", group: G[9],
    help: "Regression loss type: l1, sl1 (smooth L1) or l2.",
  },
  {
    dest: "hm_weight", flag: "--hm_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the center heatmap (hm head).",
    note: "A loss weight of 0 removes the head from the network.",
  },
  {
    dest: "off_weight", flag: "--off_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the sub-pixel center offset (reg head).",
    note: "Also weights the hp_offset head of multi_pose.",
  },
  {
    dest: "wh_weight", flag: "--wh_weight", type: "float", default: 0.1, group: G[9], min: 0,
    help: "Loss weight of the 2D box size (wh head).",
  },
  {
    dest: "hp_weight", flag: "--hp_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the human keypoint offsets (hps head, multi_pose only).",
  },
  {
    dest: "hm_hp_weight", flag: "--hm_hp_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the human keypoint heatmaps (hm_hp head, multi_pose only).",
  },
  {
    dest: "amodel_offset_weight", flag: "--amodel_offset_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the offset from the 2D box center to the projected 3D center (amodel_offset head; the spelling is the original's).",
  },
  {
    dest: "dep_weight", flag: "--dep_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the depth heads: dep and, with --pointcloud, the radar-refined dep_sec.",
  },
  {
    dest: "dep_res_weight", flag: "--dep_res_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of a depth residual head; no CenterFusion task creates that head.",
  },
  {
    dest: "dim_weight", flag: "--dim_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the 3D box size (dim head).",
  },
  {
    dest: "rot_weight", flag: "--rot_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the orientation heads: rot and, with --pointcloud, rot_sec.",
  },
  {
    dest: "nuscenes_att", flag: "--nuscenes_att", type: "flag", default: false, group: G[9],
    help: "Also predict the nuScenes attributes (moving, parked, standing, with rider...); adds the nuscenes_att head.",
  },
  {
    dest: "nuscenes_att_weight", flag: "--nuscenes_att_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the nuscenes_att head.",
  },
  {
    dest: "velocity", flag: "--velocity", type: "flag", default: false, group: G[9],
    help: "Also predict each object's velocity; adds the velocity head.",
  },
  {
    dest: "velocity_weight", flag: "--velocity_weight", type: "float", default: 1, group: G[9], min: 0,
    help: "Loss weight of the velocity head.",
  },
  // ---- custom dataset
  {
    dest: "custom_dataset_img_path", flag: "--custom_dataset_img_path", type: "str", default: "", group: G[10],
    help: "Image folder of a custom dataset (with --dataset custom).",
  },
  {
    dest: "custom_dataset_ann_path", flag: "--custom_dataset_ann_path", type: "str", default: "", group: G[10],
    help: "COCO-style annotation file of a custom dataset (with --dataset custom).",
  },
  // ---- point clouds and nuScenes dataset (radar/custom)
  {
    dest: "pointcloud", flag: "--pointcloud", type: "flag", default: false, group: G[11],
    help: "Fuse the radar point cloud with the image: radar pillars are associated with the preliminary detections and feed the secondary heads. This is what turns CenterNet into CenterFusion.",
    note: "Also fixes settings that have no flag: pillar association, pc_dep/pc_vx/pc_vz features, sigmoid secondary depth, depth normalization and 3-layer secondary heads.",
  },
  {
    dest: "train_split", flag: "--train_split", type: "str", default: "train", choices: ["train", "mini_train", "train_detect", "train_track", "mini_train_2", "trainval"], group: G[11],
    help: "nuScenes split used for training.",
  },
  {
    dest: "val_split", flag: "--val_split", type: "str", default: "val", choices: ["val", "mini_val", "test"], group: G[11],
    help: "nuScenes split used for validation and evaluation.",
  },
  {
    dest: "max_pc", flag: "--max_pc", type: "int", default: 1000, group: G[11], min: 1,
    help: "Maximum number of radar points per image; point clouds are padded or cut to this size.",
  },
  {
    dest: "r_a", flag: "--r_a", type: "float", default: 250, group: G[11],
    help: "Alpha of the depth-dependent radius of radar heatmaps: radius = r_a / depth + r_b (only for the 'hm' association method).",
  },
  {
    dest: "r_b", flag: "--r_b", type: "float", default: 5, group: G[11],
    help: "Beta of the depth-dependent radius of radar heatmaps: radius = r_a / depth + r_b (only for the 'hm' association method).",
  },
  {
    dest: "img_format", flag: "--img_format", type: "str", default: "jpg", group: G[11],
    help: "File format of saved debug images, e.g. jpg or png.",
  },
  {
    dest: "max_pc_dist", flag: "--max_pc_dist", type: "float", default: 100, group: G[11], min: 0,
    help: "Radar points farther away than this many meters are dropped.",
  },
  {
    dest: "freeze_backbone", flag: "--freeze_backbone", type: "flag", default: false, group: G[11],
    help: "Freeze the backbone and neck (base, dla_up, ida_up) after loading the checkpoint and train only the heads.",
  },
  {
    dest: "radar_sweeps", flag: "--radar_sweeps", type: "int", default: 1, group: G[11], min: 1,
    help: "Number of radar sweeps accumulated into each sample's point cloud.",
    note: "The converted annotations for this sweep count must exist (CenterFusion's conversion script writes 6 sweeps by default; the published training uses 3).",
  },
  {
    dest: "warm_start_weights", flag: "--warm_start_weights", type: "flag", default: false, group: G[11],
    help: "When a loaded layer has fewer or more input channels than the network's, copy the channels that fit instead of skipping it.",
  },
  {
    dest: "pc_z_offset", flag: "--pc_z_offset", type: "float", default: 0, group: G[11],
    help: "Meters added to the height (z) of every radar point.",
  },
  {
    dest: "eval_n_plots", flag: "--eval_n_plots", type: "int", default: 0, group: G[11], min: 0,
    help: "Number of example plots drawn by the nuScenes evaluation.",
  },
  {
    dest: "eval_render_curves", flag: "--eval_render_curves", type: "flag", default: false, group: G[11],
    help: "Let the nuScenes evaluation render and save its precision/recall and error curves.",
  },
  {
    dest: "hm_transparency", flag: "--hm_transparency", type: "float", default: 0.7, group: G[11], min: 0, max: 1,
    help: "Opacity of heatmaps drawn over images in debug output.",
  },
  {
    dest: "iou_thresh", flag: "--iou_thresh", type: "float", default: 0, group: G[11], min: 0, max: 1,
    help: "IoU threshold meant for filtering out overlapping detections.",
  },
  {
    dest: "pillar_dims", flag: "--pillar_dims", type: "str", default: "2,0.5,0.5", group: G[11], list: "float",
    help: "Radar pillar size in meters as height,width,length.",
    note: "Has no effect with --pointcloud: CenterFusion then always uses 1.5,0.2,0.2.",
  },
  {
    dest: "show_velocity", flag: "--show_velocity", type: "flag", default: false, group: G[11],
    help: "Draw the predicted velocities in debug visualizations.",
  },
];

for (const spec of SPECS) {
  if (spec.choices) Object.freeze(spec.choices);
  Object.freeze(spec);
}

/** All 146 options in CenterFusion's parser order; the positional task comes first. */
export const OPTION_SPECS: readonly OptionSpec[] = Object.freeze(SPECS);
